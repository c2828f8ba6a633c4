using System.Globalization;
using System.Text;

namespace FuzzFarm.Programs;

/// <summary>Canonical spelling of numbers: sizes read as sizes, addresses and odd values as hex, small values as decimal.</summary>
public static class NumberText
{
    private const long Kilo = 1L << 10;
    private const long Mega = 1L << 20;

    /// <summary>0 → <c>0</c>; multiple of 1M → <c>nM</c>; of 1K → <c>nK</c>; ≥ 4096 → <c>0x…</c>; else decimal.</summary>
    public static string Format(long value)
    {
        Span<char> text = stackalloc char[MaxLength];
        return new string(text[..Write(text, value)]);
    }

    /// <summary>Appends <see cref="Format"/>'s text without making a string of it (printing a program).</summary>
    public static void AppendTo(StringBuilder sb, long value)
    {
        Span<char> text = stackalloc char[MaxLength];
        sb.Append(text[..Write(text, value)]);
    }

    /// <summary>The longest text: a negative decimal with its sign (20) and a unit.</summary>
    private const int MaxLength = 24;

    private static int Write(Span<char> text, long value)
    {
        var invariant = CultureInfo.InvariantCulture;
        int n;
        if (value == 0)
        {
            text[0] = '0';
            return 1;
        }
        if (value % Mega == 0)
        {
            (value / Mega).TryFormat(text, out n, default, invariant);
            text[n] = 'M';
            return n + 1;
        }
        if (value % Kilo == 0)
        {
            (value / Kilo).TryFormat(text, out n, default, invariant);
            text[n] = 'K';
            return n + 1;
        }
        if (value >= 4096)
        {
            text[0] = '0';
            text[1] = 'x';
            value.TryFormat(text[2..], out n, "x", invariant);
            return n + 2;
        }
        value.TryFormat(text, out n, default, invariant);
        return n;
    }
}
