using FuzzFarm.Machine;
using FuzzFarm.Programs;
using FfProgram = FuzzFarm.Programs.Program;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// The inputs replay, bisect and profiles share, each failing with one line on stderr and exit 2 (machine.md §4):
/// options (<c>fuzzfarm CMD: message (usage: …)</c>), the program file (<c>FILE:line:column: message</c>),
/// the profile (the machine's message, which lists the valid names).
/// </summary>
internal static class CommandInput
{
    /// <summary>Reads the options with <paramref name="read"/>; usage errors become one line with the usage in it.</summary>
    public static T Options<T>(ICliCommand command, CliArgs args, Func<CliArgs, T> read)
    {
        try
        {
            var options = read(args);
            args.EnsureAllConsumed();
            return options;
        }
        catch (UsageException e)
        {
            throw new InvalidInputException($"fuzzfarm {command.Name}: {e.Message} (usage: fuzzfarm {command.Usage})");
        }
    }

    public static string SingleFile(CliArgs args) => args.Positionals.Count switch
    {
        1 => args.Positionals[0],
        0 => throw new UsageException("missing FILE"),
        _ => throw new UsageException($"unexpected argument '{args.Positionals[1]}'"),
    };

    public static FfProgram LoadProgram(string file)
    {
        if (Directory.Exists(file))
        {
            throw new InvalidInputException($"{file}: cannot read: it is a directory");
        }
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidInputException($"{file}: cannot read: {e.Message}");
        }
        return ProgramParser.TryParse(text, out var program, out var error)
            ? program
            : throw new InvalidInputException(error.Format(file));
    }

    public static KernelProfile Profile(ICliCommand command, string text)
    {
        try
        {
            return KernelProfile.Parse(text);
        }
        catch (ProfileException e)
        {
            throw new InvalidInputException($"fuzzfarm {command.Name}: {e.Message}");
        }
    }

    /// <summary>Runs a command body, turning invalid input into its one line and exit 2.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (InvalidInputException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }
}
