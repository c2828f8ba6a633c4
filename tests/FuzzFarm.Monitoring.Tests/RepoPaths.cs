using System.Reflection;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>Files of the checkout the tests read (dashboards, deploy configs) and the built fuzzfarm.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static string Dashboards => Path.Combine(Root, "dashboards");

    public static string DatasourceProvisioning => Path.Combine(Root, "dashboards", "provisioning", "datasources", "fuzzfarm.yml");

    public static string Deploy => Path.Combine(Root, "deploy");

    /// <summary>With the artifacts layout the silo's output is a sibling of this test's (bin/X.Tests/debug → bin/FuzzFarm.Silo/debug).</summary>
    public static string FuzzfarmDll
    {
        get
        {
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var path = Path.Combine(testDir.Parent!.Parent!.FullName, "FuzzFarm.Silo", testDir.Name, "fuzzfarm.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("built fuzzfarm not found", path);
        }
    }
}
