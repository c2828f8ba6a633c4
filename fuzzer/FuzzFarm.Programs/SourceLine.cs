namespace FuzzFarm.Programs;

/// <summary>A cursor over one line of program text; failures are <see cref="ProgramException"/>s at the cursor.</summary>
internal sealed class SourceLine(string text, int line)
{
    private int pos;

    public int Line => line;

    /// <summary>1-based column of the cursor.</summary>
    public int Column => pos + 1;

    /// <summary>The current character, or '\0' at the end of the line.</summary>
    public char Peek => pos < text.Length ? text[pos] : '\0';

    /// <summary>At the end of the line or at a comment: nothing more belongs to the statement.</summary>
    public bool AtStatementEnd => pos >= text.Length || text[pos] == '#';

    public void Advance() => pos++;

    public void SkipSpaces()
    {
        while (pos < text.Length && text[pos] is ' ' or '\t')
        {
            pos++;
        }
    }

    /// <summary>The rest of the line after a '#' at the cursor, with one leading space trimmed.</summary>
    public string CommentText()
    {
        var start = pos + 1;
        if (start < text.Length && text[start] == ' ')
        {
            start++;
        }
        return text[start..];
    }

    public string? TryIdentifier()
    {
        if (!Names.IsStart(Peek))
        {
            return null;
        }
        var start = pos;
        while (pos < text.Length && Names.IsPart(text[pos]))
        {
            pos++;
        }
        return text[start..pos];
    }

    /// <summary>A number at the cursor (which is on a digit): decimal or 0x hex, optional K or M suffix, within 63 bits.</summary>
    public long Number()
    {
        var start = pos;
        long value = 0;
        if (Peek == '0' && pos + 1 < text.Length && text[pos + 1] is 'x' or 'X')
        {
            pos += 2;
            if (!char.IsAsciiHexDigit(Peek))
            {
                throw Expected("hex digits after '0x'");
            }
            while (char.IsAsciiHexDigit(Peek))
            {
                if (value > long.MaxValue >> 4)
                {
                    throw TooBig(start);
                }
                value = (value << 4) | (long)HexValue(Peek);
                pos++;
            }
        }
        else
        {
            while (char.IsAsciiDigit(Peek))
            {
                var digit = Peek - '0';
                if (value > (long.MaxValue - digit) / 10)
                {
                    throw TooBig(start);
                }
                value = (value * 10) + digit;
                pos++;
            }
        }
        var suffixStart = pos;
        var scale = Peek switch { 'K' => 1L << 10, 'M' => 1L << 20, _ => 1L };
        if (scale != 1)
        {
            pos++;
        }
        if (Names.IsPart(Peek))
        {
            while (Names.IsPart(Peek))
            {
                pos++;
            }
            var suffix = text[suffixStart..pos];
            pos = suffixStart;
            throw Fail($"bad number suffix '{suffix}'; expected K, M or none");
        }
        if (value > long.MaxValue / scale)
        {
            throw TooBig(start);
        }
        return value * scale;
    }

    public ProgramException Fail(string message) => new(line, Column, message);

    public ProgramException FailAt(int column, string message) => new(line, column, message);

    /// <summary>"expected X, got Y" at the cursor.</summary>
    public ProgramException Expected(string what) => Fail($"expected {what}, got {Got()}");

    private string Got() => pos >= text.Length ? "end of line"
        : text[pos] == '#' ? "a comment"
        : char.IsControl(text[pos]) || char.IsWhiteSpace(text[pos]) ? $"U+{(int)text[pos]:X4}"
        : $"'{text[pos]}'";

    private ProgramException TooBig(int start)
    {
        var end = start;
        while (end < text.Length && Names.IsPart(text[end]))
        {
            end++;
        }
        return FailAt(start + 1, $"number {text[start..end]} does not fit in 63 bits; expected at most 0x7fffffffffffffff");
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
