using System.Collections.Immutable;

namespace FuzzFarm.Cli.Tests;

/// <summary>
/// The machine-readable <c># key: value</c> header of a seed (corpus/seeds/README.md). A seed whose violations come
/// from different kernel decisions on different profiles has one <c>signature</c> line per decision, each but one
/// prefixed with the profiles it covers: <c># signature: [v5.7 v5.8] lost-write in …</c>.
/// </summary>
internal sealed record SeedHeader(
    string Scenario,
    string Source,
    ImmutableArray<string> Violates,
    string Kind,
    ImmutableArray<(ImmutableArray<string> Profiles, string Signature)> Signatures)
{
    private static readonly string[] Keys = ["scenario", "source", "violates", "kind", "signature"];

    /// <summary>The signature a violation on <paramref name="profile"/> must carry.</summary>
    public string SignatureFor(string profile)
    {
        foreach (var (profiles, signature) in Signatures)
        {
            if (profiles.Contains(profile))
            {
                return signature;
            }
        }
        return Signatures.Single(s => s.Profiles.IsEmpty).Signature;
    }

    public static SeedHeader Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var key in Keys)
        {
            var prefix = $"# {key}:";
            if (i >= lines.Length || !lines[i].StartsWith(prefix, StringComparison.Ordinal))
            {
                throw new FormatException($"{path}:{i + 1}: expected '{prefix} …' (header keys in the order {string.Join(", ", Keys)})");
            }
            values[key] = lines[i++][prefix.Length..].Trim();
        }
        var signatures = ImmutableArray.CreateBuilder<(ImmutableArray<string>, string)>();
        signatures.Add(Signature(values["signature"]));
        for (; i < lines.Length && lines[i].StartsWith("# signature:", StringComparison.Ordinal); i++)
        {
            signatures.Add(Signature(lines[i]["# signature:".Length..].Trim()));
        }
        return new SeedHeader(
            values["scenario"],
            values["source"],
            [.. values["violates"].Split(' ', StringSplitOptions.RemoveEmptyEntries)],
            values["kind"],
            signatures.ToImmutable());
    }

    private static (ImmutableArray<string>, string) Signature(string text)
    {
        if (!text.StartsWith('['))
        {
            return ([], text);
        }
        var close = text.IndexOf(']', StringComparison.Ordinal);
        return ([.. text[1..close].Split(' ', StringSplitOptions.RemoveEmptyEntries)], text[(close + 1)..].Trim());
    }

    public static IEnumerable<string> SeedFiles() =>
        Directory.GetFiles(RepoPaths.Seeds, "*.ff").Order(StringComparer.Ordinal);

    /// <summary>
    /// The files the profile matrix checks, relative to corpus/: the acceptance seeds, and the programs of
    /// corpus/open-upstream (bugs still open in Linux, with the same header).
    /// </summary>
    public static IEnumerable<string> MatrixFiles() =>
        new[] { "seeds", "open-upstream" }
            .SelectMany(folder => Directory.GetFiles(Path.Combine(RepoPaths.Corpus, folder), "*.ff").Order(StringComparer.Ordinal))
            .Select(f => Path.GetRelativePath(RepoPaths.Corpus, f));
}
