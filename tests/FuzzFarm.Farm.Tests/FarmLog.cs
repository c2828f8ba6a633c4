using System.Text.RegularExpressions;

namespace FuzzFarm.Farm.Tests;

/// <summary>What the silos logged about reports: the ids machines found and the ids triage acknowledged as stored.</summary>
internal static partial class FarmLog
{
    public static HashSet<string> Found(IEnumerable<string> lines) => Ids(lines, FoundPattern());

    public static HashSet<string> Stored(IEnumerable<string> lines) => Ids(lines, StoredPattern());

    private static HashSet<string> Ids(IEnumerable<string> lines, Regex pattern) =>
        lines.Select(l => pattern.Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"report ([0-9a-f]{32}) found by ")]
    private static partial Regex FoundPattern();

    [GeneratedRegex(@"report ([0-9a-f]{32}) stored")]
    private static partial Regex StoredPattern();
}
