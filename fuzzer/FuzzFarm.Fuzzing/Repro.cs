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

    /// <summary>Minimizes a finding on its profile and replays the result on every named profile.</summary>
    public static Repro Triage(Finding finding, KernelProfile profile, int budget = Minimizer.DefaultBudget)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var original = ProgramParser.Parse(finding.ProgramText);
        var minimized = Minimizer.Minimize(original, profile, finding.Signature, budget);
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
