using System.Globalization;
using System.Text;
using System.Text.Json;
using FuzzFarm.Fuzzing;
using FuzzFarm.Machine;
using FuzzFarm.Programs;
using FuzzFarm.Silo.Farm;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// <c>fuzz</c>: a local coverage-guided fuzzing run on one profile, one engine per job. Prints a status line on stderr
/// at most once a second; at the end minimizes each signature found (its first find and its shortest later finds; the
/// shortest result is kept), replays it on every profile, writes the repros to the output folder, each beside the
/// program as found, and prints a summary. A program the machine threw on (a bug in the simulator, not in the kernel
/// under test) is written there too, once per throw site, as <c>machine-error-NN.ff</c>. Exit 0 nothing found, 1
/// violations or machine errors found, 2 invalid input.
/// </summary>
public sealed class FuzzCommand : ICliCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string Name => "fuzz";

    public string Usage =>
        "fuzz --profile P [--seconds N] [--executions N] [--seed S] [--corpus DIR (grown in place)] [--jobs N] " +
        "[--out DIR] [--json]";

    public Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        var profileText = args.RequiredOption("profile");
        var seconds = args.LongOption("seconds");
        var executions = args.LongOption("executions");
        var seed = args.LongOption("seed") ?? 1;
        var corpusDir = args.Option("corpus");
        var jobs = args.LongOption("jobs") ?? 1;
        var outDir = args.Option("out") ?? "fuzz-findings";
        var json = args.Flag("json");
        args.EnsureAllConsumed();
        if (args.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        }
        if (!KernelProfile.TryParse(profileText, out var profile, out var profileError))
        {
            throw new UsageException(profileError);
        }
        if (seconds is <= 0 || executions is <= 0 || jobs is < 1 or > 256 || seed < 0)
        {
            throw new UsageException("--seconds and --executions must be positive, --jobs between 1 and 256, --seed non-negative");
        }
        // Both folders are made before fuzzing, so a bad path fails at once instead of losing the run's findings.
        FolderOption.Create("out", outDir);
        if (corpusDir is not null)
        {
            FolderOption.Create("corpus", corpusDir);
        }
        var initial = corpusDir is null ? [] : CorpusFolder.Load(corpusDir, Console.Error);
        if (initial is null)
        {
            return Task.FromResult(2);
        }
        var options = new FuzzSessionOptions(profile, (ulong)seed)
        {
            MaxExecutions = executions,
            Duration = seconds is { } s ? TimeSpan.FromSeconds(s) : executions is null ? TimeSpan.FromSeconds(60) : null,
            Jobs = (int)jobs,
            InitialCorpus = initial,
        };
        // In place on a terminal, every ten seconds in a log: an overnight run must not write a line a second.
        var statusLine = new StatusLineWriter(Console.Error);
        var result = FuzzSession.Run(options, status => statusLine.Write(StatusLine(profile, status)), cancellation);
        statusLine.Finish();
        var repros = new List<(SessionFinding Finding, Repro Repro, string File)>();
        for (var i = 0; i < result.Findings.Count; i++)
        {
            var found = result.Findings[i];
            var repro = Repro.Triage(found.Finding, found.Shorter, profile);
            var file = Path.Combine(outDir, Repro.FileName(found.Finding.Signature, i + 1));
            var note = string.Create(Inv, $"found: fuzz --profile {profile.Name} --seed {seed} --jobs {jobs}, first at execution {found.Execution}");
            File.WriteAllText(file, repro.Text(note));
            File.WriteAllText(OriginalFile(file), repro.OriginalText(note));
            repros.Add((found, repro, file));
        }
        var machineErrors = result.MachineErrors.Select((e, i) => (Error: e, File: WriteMachineError(outDir, e, i + 1))).ToList();
        if (corpusDir is not null)
        {
            CorpusFolder.Save(corpusDir, result.Corpus.Select(ProgramPrinter.Print));
        }
        Console.Out.Write(json ? Json(profile, (ulong)seed, result, repros, machineErrors) : Text(profile, result, repros, machineErrors));
        return Task.FromResult(result.Findings.Count > 0 || machineErrors.Count > 0 ? 1 : 0);
    }

    /// <summary>The program the machine threw on, with what it threw in its header, so that <c>replay</c> shows it again.</summary>
    private static string WriteMachineError(string outDir, MachineError error, int number)
    {
        var file = Path.Combine(outDir, string.Create(Inv, $"machine-error-{number:D2}.ff"));
        File.WriteAllText(file, $"# machine error: {error.Exception}: {OneLine.Of(error.Message)}\n# at {error.Site}\n# profile: {error.Profile}\n{error.ProgramText}");
        return file;
    }

    /// <summary>Where the unminimized find goes: beside its repro, <c>NN-signature.original.ff</c>.</summary>
    private static string OriginalFile(string reproFile) => Path.ChangeExtension(reproFile, ".original.ff");

    private static string StatusLine(KernelProfile profile, FuzzStatus s) => string.Create(Inv,
        $"fuzz {profile.Name}: {s.Executions} execs, {PerSecond(s.Executions, s.Elapsed):F0}/s, coverage {s.CoverageFeatures}, corpus {s.CorpusSize}, signatures {s.Signatures}, violations {s.Violations}, {s.Elapsed.TotalSeconds:F0}s");

    private static double PerSecond(long executions, TimeSpan elapsed) => executions / Math.Max(elapsed.TotalSeconds, 1e-9);

    private static string Text(KernelProfile profile, FuzzSessionResult r, List<(SessionFinding Finding, Repro Repro, string File)> repros,
        List<(MachineError Error, string File)> machineErrors)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"fuzz {profile.Name}: {r.Executions} executions in {r.Elapsed.TotalSeconds:F1}s ({PerSecond(r.Executions, r.Elapsed):F0}/s), coverage {r.CoverageFeatures}, corpus {r.Corpus.Count}, {r.Violations} violation(s) of {repros.Count} signature(s)\n");
        sb.Append(Inv, $"  mutants rejected by validation: {r.RejectedMutants} ({RejectedPercent(r):F1}% of programs made)\n");
        if (machineErrors.Count > 0)
        {
            sb.Append(Inv, $"  the machine threw at {machineErrors.Count} place(s): bugs in the simulator, not violations\n");
            foreach (var (error, file) in machineErrors)
            {
                sb.Append(Inv, $"    {error.Exception}: {OneLine.Of(error.Message)} at {error.Site}; program: {file}\n");
            }
        }
        foreach (var (found, repro, file) in repros)
        {
            sb.Append(Inv, $"  {repro.Signature}\n");
            sb.Append(Inv, $"    {repro.Kind}, first at execution {found.Execution}, {repro.Minimized.Statements.Length} lines in {file} (as found, {repro.Original.Statements.Length} lines: {OriginalFile(file)})\n");
            sb.Append(Inv, $"    violates: {string.Join(' ', repro.Violates)}\n");
        }
        return sb.ToString();
    }

    /// <summary>Rejected mutants among all programs made (executed ones and rejected ones).</summary>
    private static double RejectedPercent(FuzzSessionResult r) => 100.0 * r.RejectedMutants / Math.Max(1, r.Executions + r.RejectedMutants);

    private static string Json(KernelProfile profile, ulong seed, FuzzSessionResult r, List<(SessionFinding Finding, Repro Repro, string File)> repros,
        List<(MachineError Error, string File)> machineErrors)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("profile", profile.Name);
            w.WriteNumber("seed", seed);
            w.WriteNumber("executions", r.Executions);
            w.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 3));
            w.WriteNumber("coverage", r.CoverageFeatures);
            w.WriteNumber("corpus", r.Corpus.Count);
            w.WriteNumber("violations", r.Violations);
            w.WriteNumber("rejected_mutants", r.RejectedMutants);
            w.WriteStartArray("machine_errors");
            foreach (var (error, file) in machineErrors)
            {
                w.WriteStartObject();
                w.WriteString("exception", error.Exception);
                w.WriteString("message", error.Message);
                w.WriteString("site", error.Site);
                w.WriteString("file", file);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("signatures");
            foreach (var (found, repro, file) in repros)
            {
                w.WriteStartObject();
                w.WriteString("signature", repro.Signature);
                w.WriteString("kind", repro.Kind);
                w.WriteNumber("execution", found.Execution);
                w.WriteNumber("lines", repro.Minimized.Statements.Length);
                w.WriteNumber("original_lines", repro.Original.Statements.Length);
                w.WriteString("file", file);
                w.WriteString("original_file", OriginalFile(file));
                w.WriteStartArray("violates");
                foreach (var p in repro.Violates)
                {
                    w.WriteStringValue(p);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
