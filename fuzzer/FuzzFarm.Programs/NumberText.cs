using System.Globalization;

namespace FuzzFarm.Programs;

/// <summary>Canonical spelling of numbers: sizes read as sizes, addresses and odd values as hex, small values as decimal.</summary>
public static class NumberText
{
    private const long Kilo = 1L << 10;
    private const long Mega = 1L << 20;

    /// <summary>0 → <c>0</c>; multiple of 1M → <c>nM</c>; of 1K → <c>nK</c>; ≥ 4096 → <c>0x…</c>; else decimal.</summary>
    public static string Format(long value) => value switch
    {
        0 => "0",
        _ when value % Mega == 0 => (value / Mega).ToString(CultureInfo.InvariantCulture) + "M",
        _ when value % Kilo == 0 => (value / Kilo).ToString(CultureInfo.InvariantCulture) + "K",
        >= 4096 => "0x" + value.ToString("x", CultureInfo.InvariantCulture),
        _ => value.ToString(CultureInfo.InvariantCulture),
    };
}
