namespace FuzzFarm.Fuzzing;

/// <summary>The sizes that matter to the memory manager: base pages, PMD-sized huge pages, words.</summary>
internal static class Sizes
{
    public const long Word = 8;
    public const long Page = 4096;
    public const long Huge = 2L * 1024 * 1024;

    /// <summary>Mapping lengths worth trying: one and a few base pages, one and two PMDs.</summary>
    public static ReadOnlySpan<long> MapLengths => [Page, 2 * Page, 4 * Page, Huge, 2 * Huge];

    public static ReadOnlySpan<int> MapLengthWeights => [34, 10, 8, 38, 10];

    /// <summary>Transfer lengths for I/O: a sector, a page, two pages, a PMD.</summary>
    public static ReadOnlySpan<long> IoLengths => [512, Page, 2 * Page, Huge];

    public static ReadOnlySpan<int> IoLengthWeights => [20, 55, 10, 15];
}
