using FuzzFarm.Fuzzing;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Storage;
using FuzzFarm.Telemetry;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Grains;

/// <summary>
/// The campaign-wide corpus. On activation it loads the campaign's stored corpus (that is how a restarted campaign
/// resumes); a pushed program is kept only if it reaches a coverage feature no program here reaches, as syz-manager
/// keeps only inputs with new signal for the whole farm. A machine's input is new to that machine, but machines that
/// have not yet replayed the hub (all of them, after a restart) find the same features again by other programs: kept
/// whole, the corpus grew with every restart and every machine replayed it all. Kept programs stay in memory for
/// the machines and are written to PostgreSQL by a timer that retries until the write succeeds. A stored row that no
/// longer parses is reported on one line and skipped, never deleted.
/// </summary>
public sealed partial class CorpusHubGrain(FarmDatabase database, ILogger<CorpusHubGrain> log) : Grain, ICorpusHubGrain
{
    // Programs per pull, one pull a second per machine: a restarted machine replays a hub of 13,000 in 7 s (at 256, in
    // 50 s); 2,048 take it about 50 ms, between its fuzzing slices.
    private const int PullLimit = 2048;
    private static readonly TimeSpan PersistPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StoreBudget = TimeSpan.FromSeconds(3);

    private readonly Guid _epoch = Guid.NewGuid();
    private readonly List<string> _programs = [];
    private readonly HashSet<string> _hashes = new(StringComparer.Ordinal);
    private readonly List<(string Hash, string Text, int Features, uint[]? FeatureSet)> _toPersist = [];
    private readonly HashSet<uint> _covered = [];
    private string _campaign = "";
    private bool _loaded;
    private bool _closing;
    private int _resumed;
    private int _corrupt;
    private int _redundant;
    private int _pruned;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _campaign = this.GetPrimaryKeyString();
        // Before the first push is taken: a push tested against a corpus not yet loaded would be kept for features the
        // stored programs reach. If the store does not answer, the timer retries the load.
        await TryLoadAsync();
        this.RegisterGrainTimer(PersistAsync, new GrainTimerCreationOptions { DueTime = PersistPeriod, Period = PersistPeriod });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_toPersist.Count > 0)
        {
            await TryPersistAsync();
        }
    }

    public Task<int> PushAsync(IReadOnlyList<CorpusProgram> programs)
    {
        _closing = false;
        var added = 0;
        foreach (var program in programs)
        {
            var hash = CorpusHashes.Of(program.Text);
            if (_hashes.Contains(hash))
            {
                continue;
            }
            if (!FeatureCover.Adds(_covered, program.FeatureSet))
            {
                _redundant++;
                continue;
            }
            _hashes.Add(hash);
            _programs.Add(program.Text);
            _toPersist.Add((hash, program.Text, program.Features, program.FeatureSet));
            added++;
        }
        FarmMetrics.RecordCorpus(_campaign, _programs.Count);
        return Task.FromResult(added);
    }

    public Task<CorpusSlice> PullAsync(Guid epoch, int cursor)
    {
        var from = epoch == _epoch ? Math.Clamp(cursor, 0, _programs.Count) : 0;
        var count = Math.Min(PullLimit, _programs.Count - from);
        return Task.FromResult(new CorpusSlice(_programs.GetRange(from, count), from + count, _epoch));
    }

    public async Task CloseAsync()
    {
        _closing = true;
        await PersistAsync(CancellationToken.None);
    }

    public Task<HubStatus> GetStatusAsync() =>
        Task.FromResult(new HubStatus(_programs.Count, _loaded, _resumed, _corrupt, _toPersist.Count, _redundant, _pruned));

    private async Task PersistAsync(CancellationToken cancellation)
    {
        if (!_loaded)
        {
            await TryLoadAsync();
        }
        if (_loaded && _toPersist.Count > 0)
        {
            await TryPersistAsync();
        }
        if (_closing && _loaded && _toPersist.Count == 0)
        {
            this.DeactivateOnIdle();
        }
    }

    private async Task TryLoadAsync()
    {
        IReadOnlyList<CorpusRow> rows;
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            rows = await database.Corpus.LoadAsync(_campaign, budget.Token);
        }
        catch (Exception e)
        {
            LogStoreUnavailable(log, _campaign, "load", e.Message);
            return;
        }
        // Programs pushed while the store did not answer are in already.
        var selection = CorpusResume.Select([.. rows.Where(r => !_hashes.Contains(r.Hash))], _covered);
        foreach (var (row, error) in selection.Corrupt)
        {
            _corrupt++;
            LogCorruptRow(log, row.Id, _campaign, error.Line, error.Column, error.Message);
        }
        // A pruned program pushed again is not new: the store has it.
        foreach (var row in selection.Pruned)
        {
            _hashes.Add(row.Hash);
        }
        foreach (var row in selection.Kept)
        {
            _hashes.Add(row.Hash);
            _programs.Add(row.Text);
        }
        _resumed += selection.Kept.Count;
        _pruned += selection.Pruned.Count;
        if (_pruned > 0)
        {
            LogPruned(log, _campaign, _resumed, _pruned);
        }
        _loaded = true;
        FarmMetrics.RecordCorpus(_campaign, _programs.Count);
    }

    private async Task TryPersistAsync()
    {
        var batch = _toPersist.ToList();
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            await database.Corpus.AddAsync(_campaign, batch, budget.Token);
            _toPersist.RemoveRange(0, batch.Count);
        }
        catch (Exception e)
        {
            LogStoreUnavailable(log, _campaign, "write", e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "corpus of {Campaign}: resumed {Resumed} programs; {Pruned} stored ones reach no feature those do not, left in the store")]
    private static partial void LogPruned(ILogger logger, string campaign, int resumed, int pruned);

    [LoggerMessage(Level = LogLevel.Error, Message = "corpus row {RowId} of campaign {Campaign} does not parse (line {Line}, column {Column}: {Error}): skipped, left in the database")]
    private static partial void LogCorruptRow(ILogger logger, long rowId, string campaign, int line, int column, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "corpus of {Campaign}: {Operation} failed, will retry: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string campaign, string operation, string reason);
}
