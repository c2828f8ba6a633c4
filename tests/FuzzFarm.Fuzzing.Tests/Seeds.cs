using System.Reflection;

namespace FuzzFarm.Fuzzing.Tests;

internal static class Seeds
{
    public static string RepoRoot { get; } = typeof(Seeds).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static IReadOnlyList<SeedFile> All { get; } = SeedFile.LoadFolder(Path.Combine(RepoRoot, "corpus", "seeds"));

    /// <summary>Bugs still open in Linux (corpus/open-upstream): the only violations the latest profile may show.</summary>
    public static IReadOnlyList<SeedFile> OpenUpstream { get; } = SeedFile.LoadFolder(Path.Combine(RepoRoot, "corpus", "open-upstream"));

    public static SeedFile Named(string name) => All.Single(s => s.Name == name);
}
