using FuzzFarm.Oracle;

namespace FuzzFarm.Silo.Commands;

/// <summary><c>fuzzfarm replay FILE --profile P [--json] [--trace]</c> (machine.md §4).</summary>
public sealed class ReplayCommand : ICliCommand
{
    public string Name => "replay";

    public string Usage => "replay FILE --profile P [--json] [--trace]";

    public Task<int> RunAsync(CliArgs args, CancellationToken cancellation) => Task.FromResult(CommandInput.Run(() =>
    {
        var (file, profileText, json, trace) = CommandInput.Options(this, args, a =>
        {
            // Switches first: they give back a positional the option parser took as their value.
            var json = a.Flag("json");
            var trace = a.Flag("trace");
            var profile = a.RequiredOption("profile");
            return (CommandInput.SingleFile(a), profile, json, trace);
        });
        var program = CommandInput.LoadProgram(file);
        var profile = CommandInput.Profile(this, profileText);

        var result = new Executor(new ExecutionOptions { Trace = trace }).Run(program, profile);

        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            ReplayJson.Write(stdout, profile, result, trace);
        }
        else
        {
            ReplayText.Write(Console.Out, file, program, profile, result, trace);
        }
        return result.Violations.Count > 0 ? 1 : 0;
    }));
}
