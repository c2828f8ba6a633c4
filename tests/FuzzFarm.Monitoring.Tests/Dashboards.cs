using System.Text.Json.Nodes;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>One query of a dashboard: a panel target or a template variable's query.</summary>
internal sealed record DashboardQuery(string Dashboard, string Where, string DatasourceUid, string Text, bool Instant, string? Format, bool IsVariable);

/// <summary>A dashboard JSON file read as Grafana reads it: panels (rows included, and panels inside collapsed rows), targets, variables.</summary>
internal sealed class Dashboard
{
    public const string PrometheusUid = "fuzzfarm-prometheus";
    public const string PostgresUid = "fuzzfarm-postgres";

    private Dashboard(string file, JsonObject json)
    {
        File = file;
        Json = json;
    }

    public string File { get; }

    public JsonObject Json { get; }

    public string Title => (string?)Json["title"] ?? File;

    public static IReadOnlyList<Dashboard> All { get; } = Directory.GetFiles(RepoPaths.Dashboards, "*.json")
        .Order(StringComparer.Ordinal)
        .Select(f => new Dashboard(Path.GetFileName(f), JsonNode.Parse(System.IO.File.ReadAllText(f))!.AsObject()))
        .ToList();

    public IEnumerable<JsonObject> Panels
    {
        get
        {
            foreach (var panel in Json["panels"]?.AsArray() ?? [])
            {
                yield return panel!.AsObject();
                foreach (var inner in panel["panels"]?.AsArray() ?? [])
                {
                    yield return inner!.AsObject();
                }
            }
        }
    }

    public IEnumerable<JsonObject> Variables => (Json["templating"]?["list"]?.AsArray() ?? []).Select(v => v!.AsObject());

    /// <summary>Every query with its datasource resolved the way Grafana does: the target's own, else the panel's.</summary>
    public IEnumerable<DashboardQuery> Queries
    {
        get
        {
            foreach (var panel in Panels)
            {
                foreach (var target in panel["targets"]?.AsArray() ?? [])
                {
                    var uid = (string?)target!["datasource"]?["uid"] ?? (string?)panel["datasource"]?["uid"] ?? "";
                    var text = (string?)target["expr"] ?? (string?)target["rawSql"] ?? "";
                    var where = $"{File} panel {(int?)panel["id"]} \"{(string?)panel["title"]}\" target {(string?)target["refId"]}";
                    yield return new DashboardQuery(File, where, uid, text, (bool?)target["instant"] ?? false, (string?)target["format"], IsVariable: false);
                }
            }
            foreach (var variable in Variables.Where(v => (string?)v["type"] == "query"))
            {
                var query = variable["query"];
                var text = query is JsonObject o ? (string?)o["query"] ?? "" : (string?)query ?? "";
                yield return new DashboardQuery(File, $"{File} variable ${(string?)variable["name"]}",
                    (string?)variable["datasource"]?["uid"] ?? "", text, Instant: false, Format: "table", IsVariable: true);
            }
        }
    }
}
