namespace FuzzFarm.Machine;

/// <summary>x86-64 sizes the machine models.</summary>
internal static class Geometry
{
    public const int PageShift = 12;
    public const long PageSize = 1 << PageShift;
    public const int WordsPerPage = (int)(PageSize / 8);
    /// <summary>HPAGE_PMD_NR: base pages per PMD (THP and 2 MiB hugetlb).</summary>
    public const int PmdNr = 512;
    public const int PmdShift = 21;
    public const long PmdSize = 1L << PmdShift;
    /// <summary>GUP_PIN_COUNTING_BIAS: what one FOLL_PIN adds to a small page's refcount.</summary>
    public const int PinBias = 1024;

    public static ulong PageOf(ulong addr) => addr >> PageShift;

    public static bool PageAligned(ulong x) => (x & (PageSize - 1)) == 0;

    public static bool PmdAligned(ulong x) => (x & (PmdSize - 1)) == 0;
}
