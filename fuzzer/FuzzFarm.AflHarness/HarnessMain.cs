using FuzzFarm.Machine;
using FuzzFarm.Programs;
using SharpFuzz;

namespace FuzzFarm.AflHarness;

/// <summary>
/// <c>fuzzfarm-afl machine|parser|show</c>, reading one input on standard input (AFL++ feeds it through SharpFuzz's
/// fork server). <c>machine</c>: the byte-level baseline on <c>FUZZFARM_PROFILE</c>, crashing on a violation (only
/// on <c>FUZZFARM_SIGNATURE</c> when set). <c>parser</c>: robustness of the parser and the replay path.
/// <c>show</c>: decode an input (a crash AFL++ saved), print the program and what it violates.
/// Instrumented code (Programs, Machine, Oracle) runs only inside <see cref="Fuzzer.Run(Action{Stream})"/>:
/// SharpFuzz's coverage map is set there, and instrumented code touched before it kills the process.
/// </summary>
internal static class HarnessMain
{
    private const string Usage = "usage: fuzzfarm-afl machine|parser|show < input   (machine and show read FUZZFARM_PROFILE and optionally FUZZFARM_SIGNATURE)";

    public static int Main(string[] args)
    {
        if (args.Length != 1 || args[0] is not ("machine" or "parser" or "show"))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        if (args[0] == "parser")
        {
            ParserTarget? parser = null;
            Fuzzer.Run(stream => (parser ??= new ParserTarget()).Run(ReadAll(stream)));
            return 0;
        }
        var profileText = Environment.GetEnvironmentVariable("FUZZFARM_PROFILE");
        if (string.IsNullOrWhiteSpace(profileText))
        {
            Console.Error.WriteLine("fuzzfarm-afl: FUZZFARM_PROFILE is not set; expected a kernel profile such as v5.7 or v5.9+fork_copies_pinned=false");
            return 2;
        }
        var signature = Environment.GetEnvironmentVariable("FUZZFARM_SIGNATURE") is { Length: > 0 } s ? s : null;
        var exit = 0;
        MachineTarget? target = null;
        Fuzzer.Run(stream =>
        {
            target ??= CreateTarget(profileText, signature);
            if (args[0] == "machine")
            {
                target.Run(ReadAll(stream));
            }
            else
            {
                exit = Show(target, ReadAll(stream));
            }
        });
        return exit;
    }

    private static MachineTarget CreateTarget(string profileText, string? signature)
    {
        if (!KernelProfile.TryParse(profileText, out var profile, out var error))
        {
            Console.Error.WriteLine($"fuzzfarm-afl: FUZZFARM_PROFILE: {error}");
            Environment.Exit(2);
        }
        return new MachineTarget(profile, signature);
    }

    /// <summary>Exit status as replay's: 1 when the input violates (the signature, when one is set), 0 otherwise.</summary>
    private static int Show(MachineTarget target, byte[] input)
    {
        var program = ByteProgramDecoder.Decode(input);
        // Printed before it runs, so an input that crashes the machine still shows its program.
        Console.Out.Write(ProgramPrinter.Print(program));
        Console.Out.Flush();
        var violation = target.Execute(program);
        if (violation is null)
        {
            Console.Out.WriteLine($"# no violation on {target.Profile.Name}{(target.Signature is null ? "" : " with " + target.Signature)}");
            return 0;
        }
        Console.Out.WriteLine($"# {violation.KindName} on {target.Profile.Name} at line {violation.Line}: {violation.Signature}");
        return 1;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
