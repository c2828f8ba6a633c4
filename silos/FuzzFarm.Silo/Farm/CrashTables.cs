using System.Globalization;
using FuzzFarm.Storage;

namespace FuzzFarm.Silo.Farm;

/// <summary>Plain-text tables of crash groups: the end-of-run summary, <c>crashes</c> and <c>crash show</c>.</summary>
public static class CrashTables
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// One row per group: id, violations seen (every one the machines counted), reports stored (finds sent to triage),
    /// minimized size, campaign (when several), signature.
    /// </summary>
    public static void WriteGroups(TextWriter output, IReadOnlyList<CrashGroup> groups, bool withCampaign)
    {
        if (groups.Count == 0)
        {
            output.WriteLine("no crash groups");
            return;
        }
        var campaignWidth = withCampaign ? Math.Max("CAMPAIGN".Length, groups.Max(g => g.Campaign.Length)) : 0;
        output.WriteLine(Row("ID", "SEEN", "REPORTS", "LINES", withCampaign ? "CAMPAIGN".PadRight(campaignWidth) + "  " : "", "SIGNATURE"));
        foreach (var g in groups)
        {
            output.WriteLine(Row(
                g.Id.ToString(Inv), g.Seen.ToString(Inv), g.Hits.ToString(Inv), g.MinimizedText is { } m ? Lines(m).Count.ToString(Inv) : "-",
                withCampaign ? g.Campaign.PadRight(campaignWidth) + "  " : "", g.Signature));
        }
    }

    /// <summary>Signature x profile, cells as <see cref="Legend"/> says.</summary>
    public static void WriteMatrix(TextWriter output, IReadOnlyList<CrashGroup> groups, IReadOnlyList<string> profiles)
    {
        if (groups.Count == 0)
        {
            return;
        }
        var idWidth = Math.Max(2, groups.Max(g => g.Id.ToString(Inv).Length));
        output.WriteLine("ID".PadLeft(idWidth) + "  " + string.Join(' ', profiles));
        foreach (var g in groups)
        {
            var cells = profiles.Select(p => Cell(g, p).PadRight(p.Length));
            output.WriteLine(g.Id.ToString(Inv).PadLeft(idWidth) + "  " + string.Join(' ', cells));
        }
        output.WriteLine($"({Legend})");
    }

    /// <summary>The minimized repro of each group (the original program until triage has run).</summary>
    public static void WriteRepros(TextWriter output, IReadOnlyList<CrashGroup> groups)
    {
        foreach (var g in groups)
        {
            output.WriteLine();
            output.WriteLine(string.Create(Inv, $"# group {g.Id}: {g.Signature}"));
            output.WriteLine($"# introduced in: {ProfileList(g.IntroducedIn)}; fixed in: {ProfileList(g.FixedIn)}");
            WriteOthers(output, g);
            if (g.MinimizedText is { } text)
            {
                foreach (var line in Lines(text))
                {
                    output.WriteLine(line);
                }
            }
            else
            {
                output.WriteLine("# (not triaged yet)");
            }
        }
    }

    public const string Legend = "X shows the signature, o violates with another, . no violation, ? not triaged";

    public static string Cell(CrashGroup group, string profile) =>
        !group.Matrix.TryGetValue(profile, out var violates) ? "?"
        : !violates ? "."
        : group.OtherSignatures.ContainsKey(profile) ? "o" : "X";

    /// <summary>What the repro shows on the profiles where it violates with another signature, in profile order.</summary>
    public static void WriteOthers(TextWriter output, CrashGroup group)
    {
        foreach (var profile in Profiles.NamedInOrder())
        {
            if (group.OtherSignatures.TryGetValue(profile, out var other))
            {
                output.WriteLine($"# other: {profile}: {other}");
            }
        }
    }

    public static IReadOnlyList<string> Lines(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

    /// <summary>Profiles as the tables print them: comma-separated, "-" for none.</summary>
    public static string ProfileList(IReadOnlyCollection<string> profiles) => profiles.Count == 0 ? "-" : string.Join(", ", profiles);

    private static string Row(string id, string seen, string reports, string lines, string campaign, string signature) =>
        $"{id,6}  {seen,9}  {reports,7}  {lines,5}  {campaign}{signature}";
}
