using System.Globalization;
using FuzzFarm.Export.Reference;

namespace FuzzFarm.Export.Real;

/// <summary>What the simulated machine says about one program under one profile, reduced to what a real run can show.</summary>
public sealed record Prediction(
    string Profile,
    IReadOnlyList<(int Line, string Thread, string Op, IReadOnlyList<string> Values)> Observations,
    IReadOnlyList<(int Line, string Thread, string Kind, string Signature)> Violations);

/// <summary>One point where the real kernel and the machine differ, with both sides in words.</summary>
public sealed record Disagreement(int Line, string Thread, string Real, string Machine)
{
    public override string ToString() => $"line {Line} {Thread}: real kernel: {Real}; machine: {Machine}";
}

/// <summary>The comparison of one program's real run with the machine's prediction.</summary>
public sealed record Comparison(int Agreements, IReadOnlyList<Disagreement> Disagreements, IReadOnlyList<string> Notes)
{
    public bool Agrees => Disagreements.Count == 0;
}

/// <summary>
/// Compares a real run with the machine, observation by observation: both ok, or both the same violation kind at the
/// same line and thread; for a single word, also the line whose write was read (the machine names the writer,
/// the real run's token encodes it). A kernel-imposed hang on the machine is a disagreement, as is a write the
/// program blocks forever that completed on the kernel. A kernel-warn has no user-visible effect on
/// the real kernel, so it becomes a note rather than counting either way.
/// </summary>
public static class Differential
{
    public static Comparison Compare(RealOutput real, Prediction machine)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(machine);
        var disagreements = new List<Disagreement>();
        var notes = new List<string>();
        var agreements = 0;
        foreach (var problem in real.Problems)
        {
            disagreements.Add(new Disagreement(0, "-", $"the run failed: {problem}", "(the program runs)"));
        }
        // Observed violations only: a hang is compared below, a kernel-warn is invisible to a real run.
        var violationsAt = machine.Violations
            .Where(v => v.Kind is not ("hang" or "kernel-warn"))
            .GroupBy(v => (v.Line, v.Thread))
            .ToDictionary(g => g.Key, g => g.ToList());
        var machineObserved = machine.Observations.ToDictionary(o => (o.Line, o.Thread), o => o.Values);
        foreach (var o in real.Observations)
        {
            var violations = violationsAt.GetValueOrDefault((o.Line, o.Thread)) ?? [];
            if (!machineObserved.TryGetValue((o.Line, o.Thread), out var values))
            {
                disagreements.Add(new Disagreement(o.Line, o.Thread, Describe(o), "this line does not run (skipped)"));
            }
            else if (WriterMismatch(o, values) is { } mismatch)
            {
                disagreements.Add(mismatch);
            }
            else if (o.Ok ? violations.Count == 0 : violations.Exists(v => v.Kind == o.ViolationKind))
            {
                agreements++;
            }
            else
            {
                disagreements.Add(new Disagreement(o.Line, o.Thread, Describe(o),
                    violations.Count == 0 ? "ok" : "violation " + string.Join(", ", violations.Select(v => $"{v.Kind} ({v.Signature})"))));
            }
        }
        var realObserved = real.Observations.Select(o => (o.Line, o.Thread)).ToHashSet();
        foreach (var (line, thread, op, _) in machine.Observations.Where(o => !realObserved.Contains((o.Line, o.Thread))))
        {
            disagreements.Add(new Disagreement(line, thread, "no observation (the line did not run)", $"{op} observed"));
        }
        // The oracle's hang is a wait the kernel imposed (5.8's forced COW); no export waits that way on its own, so
        // every machine hang is a disagreement. A write the program itself blocks forever must stay blocked.
        foreach (var v in machine.Violations.Where(v => v.Kind == "hang"))
        {
            disagreements.Add(new Disagreement(v.Line, v.Thread, "no wait imposed by the kernel", $"hang ({v.Signature})"));
        }
        agreements += real.Blocked.Count;
        foreach (var (line, thread) in real.Unblocked)
        {
            disagreements.Add(new Disagreement(line, thread, "the write completed", "it waits on a fault only its own thread could serve"));
        }
        foreach (var v in machine.Violations.Where(v => v.Kind == "kernel-warn"))
        {
            notes.Add($"line {v.Line} {v.Thread}: machine kernel-warn ({v.Signature}); a real WARN shows only in the kernel log");
        }
        return new Comparison(agreements, disagreements, notes);
    }

    /// <summary>Both sides read one word and both name its writer, but not the same line.</summary>
    private static Disagreement? WriterMismatch(RealObservation o, IReadOnlyList<string> values)
    {
        if (o.Got is not { } got || Tokens.WriterLine(got) is not { } realLine || values.Count != 1 || MachineWriterLine(values[0]) is not { } machineLine)
        {
            return null;
        }
        return realLine == machineLine ? null : new Disagreement(o.Line, o.Thread,
            $"{o.Op} read {(realLine == 0 ? "fresh memory" : $"line {realLine}'s write")}",
            $"{o.Op} read {values[0]}");
    }

    /// <summary><c>P1.t0@line5</c> or <c>P1.t0@line5/dma</c> → 5, <c>0</c> → 0; O_DIRECT data and anything else → null.</summary>
    private static int? MachineWriterLine(string value)
    {
        if (value == "0")
        {
            return 0;
        }
        var at = value.IndexOf("@line", StringComparison.Ordinal);
        if (at < 0 || value.EndsWith("/odirect", StringComparison.Ordinal))
        {
            return null;
        }
        var digits = value[(at + 5)..].Split('/')[0];
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var line) ? line : null;
    }

    private static string Describe(RealObservation o) => o.Ok ? $"{o.Op} ok" : $"{o.Op} violation {o.ViolationKind} ({o.Text})";
}
