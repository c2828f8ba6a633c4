namespace FuzzFarm.Export.Reference;

/// <summary>
/// Every write stores a token that names it, as the oracle's memory does (machine.md §3): the line and the word's
/// index within the write. Fresh anonymous memory reads <see cref="Zero"/>; a fresh file's words carry the file tag.
/// </summary>
internal static class Tokens
{
    public const ulong Zero = 0;

    private const ulong WriteTag = 0x5700_0000_0000_0000;
    private const ulong FileTag = 0x4600_0000_0000_0000;
    private const int IndexBits = 28;

    public const long MaxWords = 1L << IndexBits;

    public static ulong Write(int line, long index) => WriteTag | ((ulong)line << IndexBits) | (ulong)index;

    public static ulong FreshFile(int line, long index) => FileTag | ((ulong)line << IndexBits) | (ulong)index;

    /// <summary>The line whose write stored <paramref name="token"/> (0 for fresh memory); null for file data.</summary>
    public static int? WriterLine(ulong token) => token == Zero ? 0
        : (token & 0xFF00_0000_0000_0000) == WriteTag ? (int)((token >> IndexBits) & 0xFF_FFFF)
        : null;
}
