using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FuzzFarm.Telemetry;

/// <summary>
/// The <c>FuzzFarm</c> meter. Instrument names are part of the dashboards' contract (dashboards/*.json query them as
/// Prometheus names: dots become underscores, counters gain <c>_total</c>, the unit <c>s</c> gains <c>_seconds</c>).
/// Static because System.Diagnostics.Metrics instruments are process-wide and cheap when nobody listens.
/// </summary>
public static class FarmMetrics
{
    public const string MeterName = "FuzzFarm";

    private static readonly Meter Meter = new(MeterName, typeof(FarmMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Executions =
        Meter.CreateCounter<long>("fuzzfarm.executions", description: "Programs executed on simulated machines");

    private static readonly Gauge<long> Coverage =
        Meter.CreateGauge<long>("fuzzfarm.coverage.features", description: "Coverage features a machine has reached");

    private static readonly Gauge<long> Corpus =
        Meter.CreateGauge<long>("fuzzfarm.corpus.size", description: "Programs in the campaign-wide corpus");

    private static readonly Counter<long> Violations =
        Meter.CreateCounter<long>("fuzzfarm.violations", description: "Invariant violations observed, by kind, signature and profile");

    private static readonly Counter<long> NewSignatures =
        Meter.CreateCounter<long>("fuzzfarm.signatures.new", description: "Violation signatures seen for the first time in a campaign");

    // Triage takes from milliseconds (a short program) to minutes (a long one, bisected over every profile); the
    // SDK's default buckets start at 5 s and would put almost every triage in one bucket.
    private static readonly Histogram<double> TriageLatency =
        Meter.CreateHistogram<double>("fuzzfarm.triage.latency", unit: "s", description: "From report to stored triage (minimize, bisect, store)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });

    private static readonly Counter<long> ReprosReplaced =
        Meter.CreateCounter<long>("fuzzfarm.triage.repros_replaced", description: "Stored repros replaced by a shorter one, minimized from a later report");

    private static readonly Counter<long> RejectedMutants =
        Meter.CreateCounter<long>("fuzzfarm.mutants.rejected", description: "Mutants the validator rejected before running them (not executions)");

    private static readonly Counter<long> MachineErrors =
        Meter.CreateCounter<long>("fuzzfarm.machine.errors", description: "Places where the simulated machine threw (simulator bugs), each counted once per machine");

    // Up and down with each machine's fuzz loop, so it is right per silo even when machines come and go.
    private static readonly UpDownCounter<long> MachinesRunning =
        Meter.CreateUpDownCounter<long>("fuzzfarm.machines.running", description: "Machine grains running a fuzz loop on this silo");

    private static readonly Gauge<double> MachineRate =
        Meter.CreateGauge<double>("fuzzfarm.machine.executions_per_second", description: "Executions per second of one machine over its last batch");

    public static void RecordBatch(string campaign, string profile, string silo, string machine, long executions, double perSecond, long coverage)
    {
        var tags = new TagList { { "campaign", campaign }, { "profile", profile }, { "silo", silo }, { "machine", machine } };
        Executions.Add(executions, tags);
        MachineRate.Record(perSecond, tags);
        Coverage.Record(coverage, tags);
    }

    public static void RecordRejectedMutants(string campaign, string profile, long count) =>
        RejectedMutants.Add(count, new TagList { { "campaign", campaign }, { "profile", profile } });

    /// <summary>A machine met a new place where the simulator throws; the exception's type is the label, the rest goes to the log.</summary>
    public static void RecordMachineError(string campaign, string profile, string exception) =>
        MachineErrors.Add(1, new TagList { { "campaign", campaign }, { "profile", profile }, { "exception", exception } });

    public static void RecordCorpus(string campaign, long size) =>
        Corpus.Record(size, new KeyValuePair<string, object?>("campaign", campaign));

    /// <summary>
    /// Violations a machine's executions showed: every one, not only new signatures. The signature is a label: a
    /// campaign shows a few dozen (one per kernel decision and page kind), and which bug the farm keeps hitting is
    /// what a watcher asks first.
    /// </summary>
    public static void RecordViolations(string campaign, string profile, string kind, string signature, long count) =>
        Violations.Add(count, new TagList { { "campaign", campaign }, { "profile", profile }, { "kind", kind }, { "signature", signature } });

    public static void RecordNewSignature(string campaign, string kind) =>
        NewSignatures.Add(1, new TagList { { "campaign", campaign }, { "kind", kind } });

    /// <summary>
    /// A group's first repro is stored. Its campaign's replaced-repro counter starts at 0 here: a counter series that
    /// first appears at 1 gives Prometheus' increase() nothing to count from.
    /// </summary>
    public static void RecordTriage(string campaign, TimeSpan latency)
    {
        var tag = new KeyValuePair<string, object?>("campaign", campaign);
        TriageLatency.Record(latency.TotalSeconds, tag);
        ReprosReplaced.Add(0, tag);
    }

    /// <summary>A shorter repro took the place of a group's stored one.</summary>
    public static void RecordReproReplaced(string campaign) =>
        ReprosReplaced.Add(1, new KeyValuePair<string, object?>("campaign", campaign));

    public static void RecordMachineStarted(string silo) =>
        MachinesRunning.Add(1, new KeyValuePair<string, object?>("silo", silo));

    /// <summary>The machine's rate drops to 0: a gauge otherwise keeps its last batch's rate after the loop stopped.</summary>
    public static void RecordMachineStopped(string campaign, string profile, string silo, string machine)
    {
        MachinesRunning.Add(-1, new KeyValuePair<string, object?>("silo", silo));
        MachineRate.Record(0, new TagList { { "campaign", campaign }, { "profile", profile }, { "silo", silo }, { "machine", machine } });
    }
}
