namespace FuzzFarm.Export.Tests;

/// <summary>The machine-readable header of a seed (corpus/seeds/README.md): the profiles it violates and the kind.</summary>
internal sealed record SeedHeader(IReadOnlyList<string> Violates, string Kind)
{
    public static SeedHeader Read(string path)
    {
        var lines = File.ReadLines(path).TakeWhile(l => l.StartsWith('#')).ToList();
        string Field(string name) =>
            lines.Select(l => l.TrimStart('#').Trim()).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..].Trim() ?? "";
        return new SeedHeader(Field("violates").Split(' ', StringSplitOptions.RemoveEmptyEntries), Field("kind"));
    }
}
