using FuzzFarm.Oracle;
using FuzzFarm.Oracle.Bisection;

namespace FuzzFarm.Silo.Commands;

/// <summary><c>fuzzfarm bisect FILE [--json]</c>: the program on every named profile, oldest first (machine.md §4).</summary>
public sealed class BisectCommand : ICliCommand
{
    public string Name => "bisect";

    public string Usage => "bisect FILE [--json]";

    public Task<int> RunAsync(CliArgs args, CancellationToken cancellation) => Task.FromResult(CommandInput.Run(() =>
    {
        var (file, json) = CommandInput.Options(this, args, a =>
        {
            var json = a.Flag("json");
            return (CommandInput.SingleFile(a), json);
        });
        var program = CommandInput.LoadProgram(file);

        var bisection = Bisector.Run(program, new Executor());

        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            BisectJson.Write(stdout, bisection);
        }
        else
        {
            BisectText.Write(Console.Out, bisection);
        }
        return bisection.AnyViolation ? 1 : 0;
    }));
}
