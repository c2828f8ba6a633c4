using System.Text.RegularExpressions;

namespace FuzzFarm.Export.Tests;

/// <summary>
/// The ids listed in corpus/differential/KNOWN.md (headings <c>### id</c>): disagreements reported to the machine
/// engineer or explained there. A differential test fails on any disagreement whose id is not listed.
/// </summary>
internal static partial class KnownDisagreements
{
    public static string Path => System.IO.Path.Combine(Repo.Root, "corpus", "differential", "KNOWN.md");

    public static HashSet<string> Ids() =>
        [.. Heading().Matches(File.ReadAllText(Path)).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"^### `?([A-Za-z0-9_.\-]+)`?", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
