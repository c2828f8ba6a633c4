namespace FuzzFarm.Farm.Tests;

/// <summary>The built fuzzfarm: with the artifacts layout a sibling of this test's output (bin/X.Tests/debug → bin/FuzzFarm.Silo/debug).</summary>
internal static class FuzzfarmPath
{
    public static string Dll
    {
        get
        {
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var path = Path.Combine(testDir.Parent!.Parent!.FullName, "FuzzFarm.Silo", testDir.Name, "fuzzfarm.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("built fuzzfarm not found", path);
        }
    }
}
