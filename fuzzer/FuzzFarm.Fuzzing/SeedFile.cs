using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// A seed program of <c>corpus/seeds</c> with its machine-readable header (<c># violates:</c>, <c># kind:</c>,
/// <c># signature:</c>): the yardstick the fuzzer is measured against (time to find, repro length). A seed may carry
/// several signature lines, all but one prefixed with the profiles they cover (<c>[v5.7 v5.8] …</c>); the unprefixed
/// one covers the other violating profiles.
/// </summary>
public sealed record SeedFile(
    string Name, Program Program, IReadOnlyList<string> Violates, string Kind, IReadOnlyList<(IReadOnlyList<string>? Profiles, string Text)> Signatures)
{
    /// <summary>The signature on the first violating profile.</summary>
    public string Signature => Violates.Count == 0 ? "" : SignatureOn(Violates[0]);

    /// <summary>True when the header names the profiles and the signature (a seed still being written says <c>TBD</c>).</summary>
    public bool IsTarget => Violates.Count > 0 && Signature.Length > 0 && Signature != "TBD";

    /// <summary>The signature the seed must show on <paramref name="profile"/>; empty if the header gives none.</summary>
    public string SignatureOn(string profile)
    {
        foreach (var (profiles, text) in Signatures)
        {
            if (profiles is not null && profiles.Contains(profile))
            {
                return text;
            }
        }
        foreach (var (profiles, text) in Signatures)
        {
            if (profiles is null)
            {
                return text;
            }
        }
        return "";
    }

    public static IReadOnlyList<SeedFile> LoadFolder(string folder)
    {
        var seeds = new List<SeedFile>();
        foreach (var file in Directory.GetFiles(folder, "*.ff").Order(StringComparer.Ordinal))
        {
            var program = ProgramParser.Parse(File.ReadAllText(file));
            var signatures = new List<(IReadOnlyList<string>?, string)>();
            foreach (var value in Fields(program, "signature"))
            {
                var close = value.StartsWith('[') ? value.IndexOf(']', StringComparison.Ordinal) : -1;
                signatures.Add(close < 0
                    ? (null, value)
                    : (value[1..close].Split(' ', StringSplitOptions.RemoveEmptyEntries), value[(close + 1)..].Trim()));
            }
            seeds.Add(new SeedFile(Path.GetFileNameWithoutExtension(file), program,
                Fields(program, "violates").FirstOrDefault("").Split(' ', StringSplitOptions.RemoveEmptyEntries),
                Fields(program, "kind").FirstOrDefault(""), signatures));
        }
        return seeds;
    }

    private static IEnumerable<string> Fields(Program program, string key)
    {
        foreach (var line in program.Header)
        {
            var h = line.Trim();
            if (h.StartsWith(key + ":", StringComparison.Ordinal))
            {
                yield return h[(key.Length + 1)..].Trim();
            }
        }
    }
}
