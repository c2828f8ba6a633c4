using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// A seed program of <c>corpus/seeds</c> with its machine-readable header (<c># violates:</c>, <c># kind:</c>,
/// <c># signature:</c>): the yardstick the fuzzer is measured against (time to find, repro length).
/// </summary>
public sealed record SeedFile(string Name, Program Program, IReadOnlyList<string> Violates, string Kind, string Signature)
{
    /// <summary>True when the header names the profiles and the signature (a seed still being written says <c>TBD</c>).</summary>
    public bool IsTarget => Violates.Count > 0 && Signature.Length > 0 && Signature != "TBD";

    public static IReadOnlyList<SeedFile> LoadFolder(string folder)
    {
        var seeds = new List<SeedFile>();
        foreach (var file in Directory.GetFiles(folder, "*.ff").Order(StringComparer.Ordinal))
        {
            var program = ProgramParser.Parse(File.ReadAllText(file));
            seeds.Add(new SeedFile(Path.GetFileNameWithoutExtension(file), program,
                Field(program, "violates").Split(' ', StringSplitOptions.RemoveEmptyEntries), Field(program, "kind"), Field(program, "signature")));
        }
        return seeds;
    }

    private static string Field(Program program, string key)
    {
        foreach (var line in program.Header)
        {
            var h = line.Trim();
            if (h.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return h[(key.Length + 1)..].Trim();
            }
        }
        return "";
    }
}
