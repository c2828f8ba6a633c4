using FuzzFarm.Export;
using FuzzFarm.Export.Real;
using FuzzFarm.Machine;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// <c>real</c>: exports each program to C, compiles it with gcc, runs it on this machine's kernel and compares every
/// observation with what the machine predicts under the profile matching the kernel's release (6.18 → v6.15).
/// Exit 0 all agree, 1 at least one disagreement, 2 invalid input (nothing runs then).
/// </summary>
public sealed class RealCommand : ICliCommand
{
    public string Name => "real";

    public string Usage => "real FILE... [--profile P]";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        var profileText = args.Option("profile");
        args.EnsureAllConsumed();
        if (args.Positionals.Count == 0)
        {
            throw new UsageException("expected at least one program file");
        }
        var release = KernelRelease.Current();
        profileText ??= KernelRelease.ProfileFor(release)
            ?? throw new UsageException($"kernel {release} is older than every named profile: pass --profile");
        if (!KernelProfile.TryParse(profileText, out var profile, out var profileError))
        {
            throw new UsageException(profileError);
        }
        var programs = new List<(string Name, FuzzFarm.Programs.Program Program)>();
        var bad = 0;
        foreach (var file in args.Positionals)
        {
            if (!ProgramFile.TryLoad(file, out var program, out var error))
            {
                await Console.Error.WriteLineAsync(error);
                bad++;
            }
            else if (!CExporter.TryPrepare(program!, out _, out var exportError))
            {
                await Console.Error.WriteLineAsync(exportError!.Format(file));
                bad++;
            }
            else
            {
                programs.Add((file, program!));
            }
        }
        if (bad > 0)
        {
            return 2;
        }
        await Console.Out.WriteLineAsync($"kernel {release}: compared with profile {profile.Name}");
        IReadOnlyList<RealProgramResult> results;
        try
        {
            results = RealSession.Run(programs, p => MachinePredictor.Predict(p, profile),
                new GccBuilder(GccBuilder.DefaultCacheDirectory()));
        }
        catch (GccException e)
        {
            await Console.Error.WriteLineAsync($"fuzzfarm real: {e.Message}");
            return 2;
        }
        foreach (var r in results)
        {
            await Console.Out.WriteLineAsync(Describe(r));
        }
        var ran = results.Where(r => !r.Skipped).ToList();
        var disagreeing = ran.Count(r => !r.Comparison!.Agrees);
        var agreements = ran.Sum(r => r.Comparison!.Agreements);
        var disagreements = ran.Sum(r => r.Comparison!.Disagreements.Count);
        await Console.Out.WriteLineAsync(
            $"summary: {results.Count} programs: {ran.Count - disagreeing} agree, {disagreeing} disagree, {results.Count - ran.Count} skipped; "
            + $"observations: {agreements} of {agreements + disagreements} agree");
        return disagreeing > 0 ? 1 : 0;
    }

    private static string Describe(RealProgramResult r)
    {
        if (r.Skipped)
        {
            return $"{r.Name}: skipped, the kernel refuses {r.Output.Skip}";
        }
        var c = r.Comparison!;
        var lines = new List<string>
        {
            c.Agrees ? $"{r.Name}: agree (agreeing observations: {c.Agreements})" : $"{r.Name}: DISAGREE ({c.Agreements} agree, {c.Disagreements.Count} disagree)",
        };
        lines.AddRange(c.Disagreements.Select(d => "  " + d));
        lines.AddRange(c.Notes.Select(n => "  note: " + n));
        return string.Join('\n', lines);
    }
}
