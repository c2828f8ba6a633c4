using System.Reflection;

namespace FuzzFarm.Fuzzing.Tests;

internal static class Seeds
{
    public static string RepoRoot { get; } = typeof(Seeds).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static IReadOnlyList<SeedFile> All { get; } = SeedFile.LoadFolder(Path.Combine(RepoRoot, "corpus", "seeds"));

    public static SeedFile Named(string name) => All.Single(s => s.Name == name);
}
