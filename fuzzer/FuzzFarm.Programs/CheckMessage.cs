using System.Runtime.CompilerServices;

namespace FuzzFarm.Programs;

/// <summary>
/// A validation error's text, formatted only when the checker spells its errors: the fuzzer rejects invalid mutants
/// without reading why, and its messages (names, lines, expected kinds) were made for nothing.
/// </summary>
[InterpolatedStringHandler]
internal ref struct CheckMessage
{
    private DefaultInterpolatedStringHandler _text;
    private readonly string? _plain;

    public CheckMessage(int literalLength, int formattedCount, ProgramChecker checker, out bool shouldAppend)
    {
        shouldAppend = checker.SpellsErrors;
        _text = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        _plain = null;
    }

    private CheckMessage(string plain)
    {
        _text = default;
        _plain = plain;
    }

    /// <summary>A message already made (a literal, or chosen between two).</summary>
    public static implicit operator CheckMessage(string plain) => new(plain);

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    public void AppendFormatted(string? value) => _text.AppendFormatted(value);

    public string ToStringAndClear() => _plain ?? _text.ToStringAndClear();
}
