using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace FuzzFarm.Storage;

/// <summary>One ordered SQL file embedded from <c>Migrations/</c>; its name orders it and identifies it forever.</summary>
public sealed record Migration(string Name, string Sql)
{
    private const string ResourcePrefix = "FuzzFarm.Storage.Migrations.";

    /// <summary>SHA-256 of the text, kept with the applied migration so a later edit of an applied file is caught.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));

    /// <summary>Every embedded migration, in application order.</summary>
    public static IReadOnlyList<Migration> All { get; } = Load();

    private static List<Migration> Load()
    {
        var assembly = typeof(Migration).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => new Migration(n[ResourcePrefix.Length..^".sql".Length], Read(assembly, n)))
            .ToList();
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded migration {resource} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
