using System.Reflection;

namespace FuzzFarm.Machine.Tests;

/// <summary>The acceptance seeds in corpus/seeds and their machine-readable headers.</summary>
internal static class SeedPrograms
{
    public static string Folder { get; } = Path.Combine(
        typeof(SeedPrograms).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!,
        "corpus", "seeds");

    public static IEnumerable<object[]> Names() =>
        Directory.GetFiles(Folder, "*.ff").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    public static string Text(string name) => File.ReadAllText(Path.Combine(Folder, name));

    public static string? Header(string text, string key) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith($"# {key}:", StringComparison.Ordinal))?[(key.Length + 3)..].Trim();
}
