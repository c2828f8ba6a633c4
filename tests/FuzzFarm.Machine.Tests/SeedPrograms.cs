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

    /// <summary>
    /// The expected signature on <paramref name="profile"/>: a <c># signature:</c> line, or one of several written
    /// <c># signature: [v5.7 v5.8] sig</c>.
    /// </summary>
    public static string? Signature(string text, string profile)
    {
        foreach (var line in text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("# signature:", StringComparison.Ordinal)))
        {
            var value = line["# signature:".Length..].Trim();
            if (!value.StartsWith('['))
            {
                return value;
            }
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (value[1..close].Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(profile))
            {
                return value[(close + 1)..].Trim();
            }
        }
        return null;
    }

    public static string? Header(string text, string key) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith($"# {key}:", StringComparison.Ordinal))?[(key.Length + 3)..].Trim();
}
