using System.Runtime.InteropServices;
using FuzzFarm.Silo.Commands;

namespace FuzzFarm.Silo;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            PrintHelp(Console.Out);
            return args.Length == 0 ? 2 : 0;
        }
        var command = CommandList.All.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            await Console.Error.WriteLineAsync($"fuzzfarm: unknown command '{args[0]}' (try 'fuzzfarm help')");
            return 2;
        }
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl-C asks the command to finish cleanly (a campaign writes its summary); a second one kills.
            e.Cancel = !cancellation.IsCancellationRequested;
            cancellation.Cancel();
        };
        // SIGTERM (kill, timeout, a service manager) likewise: `fuzz` writes its findings, `run` stops its campaign and
        // prints its summary. Without this, `fuzz` died with its findings unwritten and `run` went on to its end.
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = !cancellation.IsCancellationRequested;
            cancellation.Cancel();
        });
        try
        {
            return await command.RunAsync(new CliArgs(args.Skip(1)), cancellation.Token);
        }
        catch (UsageException e)
        {
            // One line, so scripts and logs keep the error and its usage together.
            await Console.Error.WriteLineAsync($"fuzzfarm {command.Name}: {e.Message} (usage: fuzzfarm {command.Usage})");
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file or folder the command could not use: the message names it; a stack trace would not help.
            await Console.Error.WriteLineAsync($"fuzzfarm {command.Name}: {e.Message}");
            return 2;
        }
    }

    private static void PrintHelp(TextWriter output)
    {
        output.WriteLine("fuzzfarm: a fuzzing farm for copy-on-write bugs in a simulated Linux memory manager");
        output.WriteLine();
        foreach (var c in CommandList.All)
        {
            output.WriteLine($"  fuzzfarm {c.Usage}");
        }
    }
}
