using System.Globalization;
using System.Text.RegularExpressions;

namespace FuzzFarm.Farm.Tests;

/// <summary>Reads the figures out of <c>fuzzfarm campaign status</c>'s text.</summary>
internal static partial class CampaignStatusText
{
    public static long Executions(string text) => Number(ExecutionsPattern(), text);

    public static long Resumed(string text) => Number(ResumedPattern(), text);

    public static long Pruned(string text) => Number(PrunedPattern(), text);

    public static long Pending(string text) => Number(PendingPattern(), text);

    public static long Violations(string text) => Number(ViolationsPattern(), text);

    /// <summary>The silo of every machine that reports itself fuzzing.</summary>
    public static IReadOnlyList<string> FuzzingSilos(string text) =>
        MachinePattern().Matches(text).Where(m => m.Groups[2].Value == "fuzzing").Select(m => m.Groups[1].Value).ToList();

    private static long Number(Regex pattern, string text)
    {
        var match = pattern.Match(text);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    [GeneratedRegex(@"^executions (\d+),", RegexOptions.Multiline)]
    private static partial Regex ExecutionsPattern();

    [GeneratedRegex(@"\(resumed (\d+),")]
    private static partial Regex ResumedPattern();

    [GeneratedRegex(@"\(resumed \d+, pruned (\d+),")]
    private static partial Regex PrunedPattern();

    [GeneratedRegex(@"reports pending (\d+)")]
    private static partial Regex PendingPattern();

    [GeneratedRegex(@"^crash groups \d+ \(\d+ triaged\), violations (\d+) ", RegexOptions.Multiline)]
    private static partial Regex ViolationsPattern();

    [GeneratedRegex(@"^  machine \d+ on (\S+): (fuzzing|idle),", RegexOptions.Multiline)]
    private static partial Regex MachinePattern();
}
