using System.Text;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// A minimized repro of one signature and where it reproduces: <see cref="Violates"/> lists the named profiles whose
/// run shows the same signature (oldest first), <see cref="Others"/> those that violate differently, the rest are ok.
/// </summary>
public sealed record Repro(
    string Signature,
    string Kind,
    Program Original,
    Program Minimized,
    IReadOnlyList<string> Violates,
    IReadOnlyList<KeyValuePair<string, string>> Others,
    IReadOnlyList<string> Ok)
{
    /// <summary>
    /// The repro file: a header in the seeds' machine-readable form (signature, kind, the profiles matrix), then the
    /// canonical program text.
    /// </summary>
    public string Text(string? note = null)
    {
        var header = new List<string>
        {
            $"signature: {Signature}",
            $"kind: {Kind}",
            $"violates: {string.Join(' ', Violates)}",
            $"ok: {string.Join(' ', Ok)}",
        };
        foreach (var (profile, signature) in Others)
        {
            header.Add($"other: {profile}: {signature}");
        }
        if (note is not null)
        {
            header.Add(note);
        }
        return WithHeader(header, Minimized);
    }

    /// <summary>
    /// The program as the fuzzer found it, before minimization: the road it took to the bug (the threads, splits and
    /// writes the minimizer folded or replaced), which a triager may want beside the shortest form.
    /// </summary>
    public string OriginalText(string? note = null)
    {
        var header = new List<string> { $"signature: {Signature}", $"kind: {Kind}", "original: as found, before minimization" };
        if (note is not null)
        {
            header.Add(note);
        }
        return WithHeader(header, Original);
    }

    private static string WithHeader(List<string> header, Program program) =>
        ProgramPrinter.Print(ProgramValidator.Validate([.. header], program.Statements.Select(s => s with { Line = 0 })));

    /// <summary>Shorter finds minimized besides the first: the shortest ones, where a simpler root cause is likeliest.</summary>
    public const int ShorterCandidates = 3;

    /// <summary>Minimizes a finding on its profile and replays the result on every named profile.</summary>
    public static Repro Triage(Finding finding, KernelProfile profile, int budget = Minimizer.DefaultBudget) =>
        Triage(finding, [], profile, budget);

    /// <summary>
    /// Minimizes a signature's first find and its last <see cref="ShorterCandidates"/> shorter finds (each shorter than
    /// the one before), keeps the shortest result (the earliest on a tie), and replays it on every named profile. A
    /// signature can name several root causes, and the first find is not always the simplest.
    /// </summary>
    public static Repro Triage(Finding first, IReadOnlyList<Finding> shorter, KernelProfile profile, int budget = Minimizer.DefaultBudget)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(shorter);
        var finding = first;
        var original = ProgramParser.Parse(first.ProgramText);
        var minimized = Minimizer.Minimize(original, profile, first.Signature, budget);
        foreach (var candidate in shorter.Skip(Math.Max(0, shorter.Count - ShorterCandidates)))
        {
            var program = ProgramParser.Parse(candidate.ProgramText);
            var result = Minimizer.Minimize(program, profile, first.Signature, budget);
            if (result.Statements.Length < minimized.Statements.Length)
            {
                (finding, original, minimized) = (candidate, program, result);
            }
        }
        var executor = new Executor(ExecutionOptions.Fast);
        var violates = new List<string>();
        var others = new List<KeyValuePair<string, string>>();
        var ok = new List<string>();
        foreach (var named in KernelProfile.Named)
        {
            var violations = executor.Run(minimized, named).Violations;
            if (violations.Any(v => v.Signature == finding.Signature))
            {
                violates.Add(named.Name);
            }
            else if (violations.Count > 0)
            {
                others.Add(new(named.Name, violations[0].Signature));
            }
            else
            {
                ok.Add(named.Name);
            }
        }
        return new Repro(finding.Signature, finding.Kind, original, minimized, violates, others, ok);
    }

    /// <summary>A file name for the signature: its words in lower case joined by dashes, short enough for any file system.</summary>
    public static string FileName(string signature, int index)
    {
        var sb = new StringBuilder();
        foreach (var c in signature)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }
        }
        var slug = sb.ToString().Trim('-');
        if (slug.Length > 80)
        {
            slug = slug[..80].TrimEnd('-');
        }
        return $"{index:D2}-{slug}.ff";
    }
}
