using System.Reflection;

namespace FuzzFarm.Cli.Tests;

/// <summary>Where the source tree and the built fuzzfarm are, whatever the artifacts folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static string Corpus => Path.Combine(Root, "corpus");

    public static string Seeds => Path.Combine(Corpus, "seeds");

    /// <summary>
    /// The silo's own output: with the artifacts layout it is a sibling of this test's output
    /// (bin/FuzzFarm.Cli.Tests/debug → bin/FuzzFarm.Silo/debug).
    /// </summary>
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
