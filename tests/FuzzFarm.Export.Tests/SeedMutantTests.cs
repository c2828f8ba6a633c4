using System.Globalization;
using FuzzFarm.Export.Real;
using FuzzFarm.Machine;
using FuzzFarm.Programs;
using Xunit;
using Xunit.Abstractions;

namespace FuzzFarm.Export.Tests;

/// <summary>
/// Mutants of the seeds (lines dropped, duplicated or moved to another thread) reach every op the exporter knows,
/// split ops and userfaultfd included. The exporter either exports a mutant or refuses it with an ExportException,
/// never anything else; the exported ones run clean on this kernel and agree with the matching profile.
/// </summary>
public class SeedMutantTests(ITestOutputHelper output)
{
    private const int PerSeed = 16;

    [Fact]
    public void Seed_mutants_export_or_are_refused_and_the_exported_agree_with_the_machine()
    {
        var exported = new List<(string Name, Program Program)>();
        var refused = new Dictionary<string, int>(StringComparer.Ordinal);
        var invalid = 0;
        var total = 0;
        foreach (var file in Repo.SeedFiles())
        {
            var seedName = Path.GetFileNameWithoutExtension(file);
            var lines = File.ReadAllLines(file).Where(l => !l.StartsWith('#')).ToArray();
            for (var k = 0; k < PerSeed; k++)
            {
                // Seeded by the seed's name, so adding a seed leaves every other mutant (and its id) as it was.
                var rng = new Random(StableHash(seedName) + k);
                var text = string.Join('\n', Mutate(rng, lines)) + "\n";
                total++;
                if (!ProgramParser.TryParse(text, out var program, out _))
                {
                    invalid++;
                    continue;
                }
                if (CExporter.TryPrepare(program, out _, out var error))
                {
                    exported.Add((string.Create(CultureInfo.InvariantCulture, $"mutant-{seedName}-{k}"), program));
                }
                else
                {
                    var reason = error!.Message.Split(':')[0];
                    refused[reason] = refused.GetValueOrDefault(reason) + 1;
                }
            }
        }
        output.WriteLine($"{total} mutants: {invalid} invalid programs, {refused.Values.Sum()} refused, {exported.Count} exported");
        foreach (var (reason, count) in refused.OrderByDescending(kv => kv.Value))
        {
            output.WriteLine($"  refused {count}: {reason}");
        }
        var profile = KernelProfile.Parse(KernelRelease.ProfileFor(KernelRelease.Current())!);
        var results = RealSession.Run(exported, p => MachinePredictor.Predict(p, profile), Gcc.Builder);
        var known = KnownDisagreements.Ids();
        var unexplained = new List<string>();
        foreach (var r in results)
        {
            if (r.Skipped)
            {
                output.WriteLine($"SKIP {r.Name}: {r.Output.Skip}");
                continue;
            }
            if (!r.Comparison!.Agrees)
            {
                var text = $"{r.Name}{(known.Contains(r.Name) ? " (known)" : "")}:\n{ProgramPrinter.Print(r.Program)}{string.Join("\n", r.Comparison.Disagreements)}";
                output.WriteLine(text);
                if (!known.Contains(r.Name))
                {
                    unexplained.Add(text);
                }
            }
        }
        var ran = results.Count(r => !r.Skipped);
        output.WriteLine($"{ran} ran, {results.Count - ran} skipped, {ran - results.Count(r => r.Comparison is { Agrees: false })} agree");
        Assert.True(exported.Count >= total / 4, $"only {exported.Count} mutants exported");
        Assert.True(unexplained.Count == 0, "disagreements not in corpus/differential/KNOWN.md:\n" + string.Join("\n\n", unexplained));
    }

    private static int StableHash(string text)
    {
        var h = 2166136261u;
        foreach (var c in text)
        {
            h = (h ^ c) * 16777619u;
        }
        return (int)(h & 0x3fffffff);
    }

    private static List<string> Mutate(Random rng, string[] lines)
    {
        var result = lines.ToList();
        for (var n = rng.Next(1, 4); n > 0 && result.Count > 1; n--)
        {
            var i = rng.Next(result.Count);
            switch (rng.Next(4))
            {
                case 0:
                    result.RemoveAt(i);
                    break;
                case 1:
                    result.Insert(rng.Next(result.Count + 1), Unbound(result[i]));
                    break;
                case 2:
                    var j = rng.Next(result.Count);
                    (result[i], result[j]) = (result[j], result[i]);
                    break;
                default:
                    var body = result[i].Contains(": ", StringComparison.Ordinal) ? result[i][(result[i].IndexOf(": ", StringComparison.Ordinal) + 2)..] : result[i];
                    result[i] = rng.Next(2) == 0 ? body : "t1: " + body;
                    break;
            }
        }
        return result;
    }

    /// <summary>A duplicated line must not bind its name again.</summary>
    private static string Unbound(string line)
    {
        var eq = line.IndexOf(" = ", StringComparison.Ordinal);
        if (eq < 0)
        {
            return line;
        }
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        var prefix = colon >= 0 && colon < eq ? line[..(colon + 2)] : "";
        var op = line[(eq + 3)..];
        return op.StartsWith("fork", StringComparison.Ordinal) || op.StartsWith("thread", StringComparison.Ordinal) || op.EndsWith('&')
            ? line : prefix + op;
    }
}
