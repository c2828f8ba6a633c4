using System.Text.Json;
using FuzzFarm.Machine;

namespace FuzzFarm.Silo.Commands;

/// <summary><c>fuzzfarm profiles [--json]</c>: every named profile, oldest first, with all its switches.</summary>
public sealed class ProfilesCommand : ICliCommand
{
    public string Name => "profiles";

    public string Usage => "profiles [--json]";

    public Task<int> RunAsync(CliArgs args, CancellationToken cancellation) => Task.FromResult(CommandInput.Run(() =>
    {
        var json = CommandInput.Options(this, args, a =>
        {
            var json = a.Flag("json");
            return a.Positionals.Count == 0 ? json : throw new UsageException($"unexpected argument '{a.Positionals[0]}'");
        });
        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            WriteJson(stdout);
        }
        else
        {
            WriteText(Console.Out);
        }
        return 0;
    }));

    private static void WriteJson(Stream output)
    {
        using (var w = new Utf8JsonWriter(output, JsonOutput.Options))
        {
            w.WriteStartObject();
            w.WriteStartArray("profiles");
            foreach (var p in KernelProfile.Named)
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                JsonOutput.WriteStrings(w, "aliases", Aliases(p));
                w.WriteStartObject("switches");
                foreach (var (name, value) in p.Switches)
                {
                    w.WriteString(name, value);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        JsonOutput.EndLine(output);
    }

    private static void WriteText(TextWriter output)
    {
        var width = SwitchInfo.All.Max(s => s.Name.Length);
        foreach (var p in KernelProfile.Named)
        {
            var aliases = Aliases(p);
            output.WriteLine(aliases.Count == 0 ? p.Name : $"{p.Name} (alias {string.Join(", ", aliases)})");
            foreach (var (name, value) in p.Switches)
            {
                output.WriteLine($"  {name.PadRight(width)}  {value}");
            }
        }
        output.WriteLine();
        output.WriteLine("switches (derive a profile with NAME+switch=value, e.g. v5.9+fork_copies_pinned=false):");
        foreach (var s in SwitchInfo.All)
        {
            output.WriteLine($"  {s.Name.PadRight(width)}  {string.Join("|", s.Values)}: {s.Meaning}");
        }
    }

    private static List<string> Aliases(KernelProfile profile) =>
        [.. KernelProfile.Aliases.Where(a => a.Value == profile.Name).Select(a => a.Key).Order(StringComparer.Ordinal)];
}
