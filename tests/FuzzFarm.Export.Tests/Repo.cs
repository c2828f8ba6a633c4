using System.Reflection;

namespace FuzzFarm.Export.Tests;

/// <summary>Paths of the repository the tests were built from.</summary>
internal static class Repo
{
    public static string Root { get; } = typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static string Seeds => Path.Combine(Root, "corpus", "seeds");

    public static IEnumerable<string> SeedFiles() => Directory.GetFiles(Seeds, "*.ff").Order(StringComparer.Ordinal);
}
