namespace FuzzFarm.Fuzzing;

/// <summary>The sizes that matter to the memory manager: base pages, PMD-sized huge pages, words.</summary>
internal static class Sizes
{
    public const long Word = 8;
    public const long Page = 4096;
    public const long Huge = 2L * 1024 * 1024;

    /// <summary>Mapping lengths worth trying: one and a few base pages, one and two PMDs.</summary>
    public static ReadOnlySpan<long> MapLengths => [Page, 2 * Page, 4 * Page, Huge, 2 * Huge];

    public static ReadOnlySpan<int> MapLengthWeights => [40, 12, 8, 34, 6];

    /// <summary>Lengths for ops that touch every word: a word, a sector, a page, two pages.</summary>
    public static ReadOnlySpan<long> DataLengths => [Word, 512, Page, 2 * Page];

    public static ReadOnlySpan<int> DataLengthWeights => [20, 15, 57, 8];
}
