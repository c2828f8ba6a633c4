using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>The dashboards as Grafana's JSON model wants them: ids, grid, datasources that provisioning creates.</summary>
public sealed partial class DashboardStructureTests
{
    private const int GridColumns = 24;

    public static TheoryData<string> Files => new(Dashboard.All.Select(d => d.File));

    [Fact]
    public void TheThreeDashboardsExistWithDistinctUids()
    {
        Assert.Equal(["campaign-overview.json", "invariants.json", "triage.json"], Dashboard.All.Select(d => d.File));
        var uids = Dashboard.All.Select(d => (string?)d.Json["uid"]).ToList();
        Assert.All(uids, uid => Assert.False(string.IsNullOrEmpty(uid)));
        Assert.Equal(uids.Count, uids.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void PanelIdsAreUnique(string file)
    {
        var ids = Find(file).Panels.Select(p => (int?)p["id"]).ToList();
        Assert.All(ids, id => Assert.NotNull(id));
        var repeated = ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, $"{file}: panel ids used twice: {string.Join(", ", repeated)}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void PanelsFitTheGridWithoutOverlapping(string file)
    {
        var boxes = Find(file).Panels.Select(p => (Id: (int?)p["id"], Box: Grid(p))).ToList();
        foreach (var (id, (x, y, w, h)) in boxes)
        {
            Assert.True(x >= 0 && y >= 0 && w >= 1 && h >= 1, $"{file} panel {id}: gridPos x={x} y={y} w={w} h={h}");
            Assert.True(x + w <= GridColumns, $"{file} panel {id}: x={x} + w={w} goes past column {GridColumns}");
        }
        for (var i = 0; i < boxes.Count; i++)
        {
            for (var j = i + 1; j < boxes.Count; j++)
            {
                var (a, b) = (boxes[i].Box, boxes[j].Box);
                var overlap = a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H;
                Assert.False(overlap, $"{file}: panels {boxes[i].Id} and {boxes[j].Id} overlap");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryDatasourceIsProvisionedWithTheSameType(string file)
    {
        var provisioned = ProvisionedDatasources();
        Assert.Equal(2, provisioned.Count);
        var references = Find(file).Panels.SelectMany(p => new[] { p["datasource"] }.Concat((p["targets"]?.AsArray() ?? []).Select(t => t!["datasource"])))
            .Concat(Find(file).Variables.Select(v => v["datasource"]))
            .OfType<JsonObject>()
            .ToList();
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            var uid = (string?)reference["uid"] ?? "";
            Assert.True(provisioned.TryGetValue(uid, out var type), $"{file}: datasource uid '{uid}' is not provisioned ({string.Join(", ", provisioned.Keys)})");
            Assert.Equal(type, (string?)reference["type"]);
        }
        // Rows carry no query; every other panel names its datasource.
        Assert.All(Find(file).Panels.Where(p => (string?)p["type"] != "row"), p => Assert.NotNull(p["datasource"]?["uid"]));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TheCampaignVariableIsDefinedAndEveryCampaignQueryUsesIt(string file)
    {
        var dashboard = Find(file);
        var campaign = Assert.Single(dashboard.Variables, v => (string?)v["name"] == "campaign");
        Assert.False((bool?)campaign["multi"] ?? false, $"{file}: $campaign is single-valued (the SQL quotes it as one value)");
        Assert.False((bool?)campaign["includeAll"] ?? false, $"{file}: $campaign has no 'All' option");
        foreach (var query in dashboard.Queries.Where(q => !q.IsVariable))
        {
            // Queries on campaign data (the FuzzFarm meter's per-campaign series, the farm's tables) filter by it.
            var campaignData = CampaignDataPattern().IsMatch(query.Text);
            if (campaignData)
            {
                Assert.True(query.Text.Contains("$campaign", StringComparison.Ordinal), $"{query.Where} reads campaign data without $campaign:\n{query.Text}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void SqlTargetsAreRawQueriesWithAFormat(string file)
    {
        var sql = Find(file).Panels.SelectMany(p => p["targets"]?.AsArray() ?? [])
            .Where(t => (string?)t!["datasource"]?["uid"] == Dashboard.PostgresUid).ToList();
        foreach (var target in sql)
        {
            Assert.True((bool?)target!["rawQuery"] ?? false, $"{file}: target {(string?)target["refId"]} is not a raw query");
            Assert.Contains((string?)target["format"], new[] { "table", "time_series" });
            if ((string?)target["format"] == "time_series")
            {
                Assert.Matches(@"AS ""time""|\$__timeGroupAlias\(|\$__time\(", (string?)target["rawSql"] ?? "");
            }
        }
    }

    private static Dashboard Find(string file) => Dashboard.All.Single(d => d.File == file);

    private static (int X, int Y, int W, int H) Grid(JsonObject panel)
    {
        var grid = panel["gridPos"] ?? throw new InvalidOperationException($"panel {(int?)panel["id"]} has no gridPos");
        return ((int)grid["x"]!, (int)grid["y"]!, (int)grid["w"]!, (int)grid["h"]!);
    }

    /// <summary>uid → type from the provisioning file (a flat list of datasources: uid and type lines per entry).</summary>
    private static Dictionary<string, string> ProvisionedDatasources()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string? uid = null;
        string? type = null;
        foreach (var line in File.ReadLines(RepoPaths.DatasourceProvisioning))
        {
            var m = YamlEntryPattern().Match(line);
            if (m.Groups["dash"].Success)
            {
                Add();
                (uid, type) = (null, null);
            }
            if (m.Success && m.Groups["key"].Value == "uid")
            {
                uid = m.Groups["value"].Value;
            }
            if (m.Success && m.Groups["key"].Value == "type")
            {
                type = m.Groups["value"].Value;
            }
        }
        Add();
        return result;

        void Add()
        {
            if (uid is not null && type is not null)
            {
                result[uid] = type;
            }
        }
    }

    [GeneratedRegex(@"^\s{2}(?<dash>-\s)?\s*(?<key>uid|type|name):\s*(?<value>\S+)")]
    private static partial Regex YamlEntryPattern();

    [GeneratedRegex(@"fuzzfarm_(executions|coverage|corpus|violations|signatures|triage|machine_)|\b(crash_groups|crash_instances|stat_samples|signature_profile_matrix)\b")]
    private static partial Regex CampaignDataPattern();
}
