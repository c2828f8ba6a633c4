using System.Globalization;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using FuzzFarm.Silo.Farm;
using FuzzFarm.Storage;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// <c>crash show ID</c>: one crash group — its minimized repro (canonical program text, replayable as is), the
/// violation as a replay of that repro reports it, and the profile matrix.
/// </summary>
public sealed class CrashCommand : ICliCommand
{
    public string Name => "crash";

    public string Usage => "crash show ID [--db CS]";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        var db = args.Option("db");
        args.EnsureAllConsumed();
        if (args.Positionals.Count != 2 || args.Positionals[0] != "show")
        {
            throw new UsageException("expected 'show ID'");
        }
        if (!long.TryParse(args.Positionals[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            throw new UsageException($"crash id must be a number, got '{args.Positionals[1]}'");
        }
        var (database, _) = await FarmDatabaseOpener.OpenAsync(db, cancellation);
        await using (database)
        {
            var group = await database.Crashes.GetGroupAsync(id, cancellation);
            if (group is null)
            {
                await Console.Error.WriteLineAsync($"fuzzfarm crash: no crash group {id}");
                return 2;
            }
            var instances = await database.Crashes.ListInstancesAsync(id, cancellation);
            Print(Console.Out, group, instances);
            return 0;
        }
    }

    private static void Print(TextWriter output, CrashGroup group, IReadOnlyList<CrashInstance> instances)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"# crash group {group.Id} of campaign {group.Campaign}"));
        output.WriteLine($"# signature: {group.Signature}");
        output.WriteLine($"# kind: {group.Kind}");
        output.WriteLine(string.Create(inv, $"# seen: {group.Seen} violations, {group.Hits} reports stored; first seen {group.FirstSeen:u}, last seen {group.LastSeen:u}, fuzzed on {string.Join(", ", group.Profiles)}"));
        output.WriteLine($"# introduced in: {CrashTables.ProfileList(group.IntroducedIn)}; fixed in: {CrashTables.ProfileList(group.FixedIn)}");
        CrashTables.WriteOthers(output, group);
        output.WriteLine($"# profiles ({CrashTables.Legend}):");
        foreach (var profile in Profiles.NamedInOrder())
        {
            output.WriteLine($"#   {profile,-10} {CrashTables.Cell(group, profile)}");
        }
        var first = instances.Count > 0 ? instances[0] : null;
        var (label, text) = group.MinimizedText is { } minimized
            ? ("minimized repro", minimized)
            : ("original program (not triaged yet)", first?.ProgramText ?? "");
        var profileName = first?.Profile ?? (group.Profiles.Count > 0 ? group.Profiles[0] : null);
        if (profileName is not null)
        {
            foreach (var violation in Replay(text, profileName))
            {
                output.WriteLine($"# violation on {profileName}: {violation}");
            }
        }
        output.WriteLine($"# {label}:");
        output.Write(text.EndsWith('\n') ? text : text + "\n");
    }

    /// <summary>The violations of the repro, replayed now (the machine is deterministic, so this is what was seen).</summary>
    private static IEnumerable<string> Replay(string text, string profileName)
    {
        if (!ProgramParser.TryParse(text, out var program, out var error))
        {
            return [$"(stored program does not parse: line {error.Line}, column {error.Column}: {error.Message})"];
        }
        var result = new Executor().Run(program, KernelProfile.Parse(profileName));
        return result.Violations.Select(v => string.Create(CultureInfo.InvariantCulture, $"{ViolationKinds.Name(v.Kind)} at line {v.Line} ({v.Thread}): {v.Detail}"));
    }
}
