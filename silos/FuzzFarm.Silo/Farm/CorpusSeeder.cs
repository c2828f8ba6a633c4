using System.Text;
using FuzzFarm.Grains;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using FfProgram = FuzzFarm.Programs.Program;

namespace FuzzFarm.Silo.Farm;

/// <summary>
/// Seeds a campaign's corpus from a folder (<c>run --corpus</c>, <c>campaign start --corpus</c>): runs each program
/// once on the campaign's profile for the coverage features it reaches and pushes it to the campaign's hub, which keeps
/// it, as any machine's push, only if it reaches a feature the corpus lacks. The machines pull what it kept.
/// </summary>
internal static class CorpusSeeder
{
    private const int Chunk = 512;

    public sealed record Outcome(int Programs, int Kept, int MachineErrors);

    public static async Task<Outcome> PushAsync(IGrainFactory grains, string campaign, KernelProfile profile, IReadOnlyList<FfProgram> programs)
    {
        var hub = grains.GetGrain<ICorpusHubGrain>(campaign);
        var executor = new Executor(ExecutionOptions.Fast);
        var batch = new List<CorpusProgram>(Chunk);
        var kept = 0;
        var errors = 0;
        foreach (var program in programs)
        {
            uint[] features;
            try
            {
                features = executor.Run(program, profile).Coverage.ToArray();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A machine bug, not the user's: the program is left out and counted; a fresh executor goes on.
                errors++;
                executor = new Executor(ExecutionOptions.Fast);
                continue;
            }
            batch.Add(new CorpusProgram(StatementsText(program), features.Length, features));
            if (batch.Count == Chunk)
            {
                kept += await hub.PushAsync([.. batch]);
                batch.Clear();
            }
        }
        if (batch.Count > 0)
        {
            kept += await hub.PushAsync(batch);
        }
        return new Outcome(programs.Count, kept, errors);
    }

    /// <summary>The program as machines push theirs: its statements, canonical, without header comments.</summary>
    private static string StatementsText(FfProgram program)
    {
        var text = new StringBuilder();
        foreach (var statement in program.Statements)
        {
            text.Append(ProgramPrinter.Print(statement)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>One line for the user: what the folder gave the campaign's corpus.</summary>
    public static string Describe(string dir, Outcome outcome) =>
        $"corpus {dir}: {outcome.Programs} programs, {outcome.Kept} reach a feature the campaign's corpus lacked and joined it" +
        (outcome.MachineErrors > 0 ? $", {outcome.MachineErrors} left out (the machine threw on them)" : "");
}
