using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// One fuzzing engine: generates and mutates programs, runs them on the simulated machine under one profile, keeps
/// those that reach new coverage, and reports each violation signature the first time it sees it. Single-threaded
/// (one per core) and deterministic: the same profile, seed and sequence of calls give the same results. The farm
/// drives it in short batches; the command line in a loop.
/// </summary>
public sealed class FuzzEngine
{
    private const int Attempts = 16;

    /// <summary>Executions between two reweighings of the corpus by how often its features are reached.</summary>
    private const int ReweighEvery = 8192;

    private readonly KernelProfile _profile;
    private readonly FuzzOptions _options;
    private readonly Rng _rng;
    // A copy of _rng's state, drawn from to see the next program's first draws without taking them.
    private readonly Rng _lookahead = new(0);
    private readonly Generator _generator;
    private readonly Mutator _mutator;
    private readonly CoverageMap _coverage = new();
    private readonly FeatureHits _hits = new();
    private readonly Corpus _corpus;
    private long _nextReweigh = ReweighEvery;
    private readonly Dictionary<string, long> _firstSeen = new(StringComparer.Ordinal);
    // The signatures this engine reported as found, republished whole on each new one (rare) for other threads.
    private string[] _signatures = [];
    private readonly Dictionary<string, int> _shortestReported = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MachineError> _machineErrors = new(StringComparer.Ordinal);
    private readonly List<Statement> _work = new(Mutator.MaxStatements + Mutator.MaxObservations);
    // Violations shown so far, in all and by signature, and those of the running batch by signature (with each
    // signature's kind name), which the batch reports.
    private readonly Dictionary<string, long> _violationsBySignature = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Kind, long Count)> _batchViolations = new(StringComparer.Ordinal);
    private Executor _executor = new(ExecutionOptions.Fast);
    private List<CorpusInput>? _inputs;
    private List<Finding>? _findings;
    private List<Finding>? _shorter;
    private List<MachineError>? _newMachineErrors;

    public FuzzEngine(KernelProfile profile, ulong seed, FuzzOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        _profile = profile;
        _options = options ?? FuzzOptions.Default;
        _rng = new Rng(seed);
        var grammar = new Grammar(_rng);
        _generator = new Generator(_rng, grammar);
        _mutator = new Mutator(_rng, grammar);
        _corpus = new Corpus(_hits);
    }

    public KernelProfile Profile => _profile;

    /// <summary>
    /// Every violation of every execution, not only first sightings: for tools that tell apart finds sharing a
    /// signature (the time-to-find benchmark matches them to seeds by the profiles they violate on).
    /// </summary>
    public Action<Program, Violation>? ViolationSeen { get; set; }

    /// <summary>Programs run so far, including the re-runs of new corpus inputs with their effects observed (after the warm-up).</summary>
    public long Executions { get; private set; }

    public int CorpusSize => _corpus.Count;

    public int CoverageFeatures => _coverage.Count;

    internal CoverageMap Coverage => _coverage;

    /// <summary>Each signature seen so far, with the execution (1-based, this engine's count) that first showed it.</summary>
    public IReadOnlyDictionary<string, long> FirstSeen => _firstSeen;

    /// <summary>
    /// The signatures this engine found (reported as findings), safe to read from another thread while it runs;
    /// <see cref="FirstSeen"/> also holds those first seen on external inputs.
    /// </summary>
    public IReadOnlyList<string> Signatures => Volatile.Read(ref _signatures);

    /// <summary>Programs the machine threw on, one per throw site (machine bugs to report, not violations).</summary>
    public IReadOnlyCollection<MachineError> MachineErrors => _machineErrors.Values;

    /// <summary>Violations the engine's batches have shown, every one counted (a line and signature per execution).</summary>
    public long ViolationsSeen { get; private set; }

    /// <summary>The same count per signature, every signature the engine has shown. Read on the engine's thread.</summary>
    public IReadOnlyDictionary<string, long> ViolationsBySignature => _violationsBySignature;

    /// <summary>Mutants the validator rejected (each was replaced by another attempt; not counted as executions).</summary>
    public long RejectedMutants { get; private set; }

    /// <summary>Programs currently in the corpus, for sharing with other engines or a hub.</summary>
    public IEnumerable<Program> CorpusPrograms => _corpus.Entries.Select(e => e.Program);

    /// <summary>The corpus with each input's features, for merging engines' corpora.</summary>
    internal IReadOnlyList<CorpusEntry> CorpusEntries => _corpus.Entries;

    /// <summary>Runs at least <paramref name="executions"/> programs (checking a new input adds one more).</summary>
    public BatchResult RunBatch(int executions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(executions);
        _inputs = null;
        _findings = null;
        _shorter = null;
        var start = Executions;
        var rejectedBefore = RejectedMutants;
        _batchViolations.Clear();
        while (Executions - start < executions)
        {
            var program = NextProgram();
            WarmNextParent();
            var result = Execute(program);
            if (result is null)
            {
                continue;
            }
            // Violations first: the executor reuses its result object on the next run.
            Report(program, result);
            if (!_options.CoverageGuided)
            {
                _coverage.Add(result.CoverageUnordered);
                continue;
            }
            _hits.Record(result.CoverageUnordered);
            if (Executions >= _nextReweigh)
            {
                _nextReweigh = Executions + ReweighEvery;
                if (_corpus.Count > 0)
                {
                    _corpus.Reweigh();
                }
            }
            if (_coverage.CountNew(result.CoverageUnordered) == 0)
            {
                continue;
            }
            // Kept whole: trimming inputs to the lines that reach their new features was measured to cost more
            // finds than it saves (the trimmed lines are the context later mutants need, observations included).
            var features = result.Coverage.ToArray();
            var fresh = _coverage.Add(features);
            _corpus.Add(new CorpusEntry(program.Packed(), features, fresh));
            (_inputs ??= []).Add(new CorpusInput(ProgramPrinter.Print(program), fresh, features));
            // After the warm-up only, which must draw exactly what blind generation draws.
            if (Executions > _options.WarmUpExecutions)
            {
                CheckObserved(program);
            }
        }
        return new BatchResult((int)(Executions - start), _inputs ?? [], _findings ?? [], _shorter ?? [], BatchViolations())
        {
            RejectedMutants = (int)(RejectedMutants - rejectedBefore),
            MachineErrors = TakeNewMachineErrors(),
        };
    }

    /// <summary>Machine errors first seen since the last batch returned (external inputs' included), handed over once.</summary>
    private IReadOnlyList<MachineError> TakeNewMachineErrors()
    {
        IReadOnlyList<MachineError> errors = _newMachineErrors ?? [];
        _newMachineErrors = null;
        return errors;
    }

    private List<ViolationCount> BatchViolations()
    {
        var counts = new List<ViolationCount>(_batchViolations.Count);
        foreach (var (signature, (kind, count)) in _batchViolations)
        {
            counts.Add(new ViolationCount(kind, signature, count));
        }
        return counts;
    }

    /// <summary>Runs a program from elsewhere (the hub, another engine, a seed folder) and keeps it if it adds coverage.</summary>
    public bool AddExternalInput(Program program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var result = Execute(program);
        if (result is null)
        {
            return false;
        }
        foreach (var v in result.Violations)
        {
            // Not a find of this engine's (never reported), so not in Signatures either.
            _firstSeen.TryAdd(v.Signature, Executions);
        }
        if (_coverage.CountNew(result.CoverageUnordered) == 0)
        {
            return false;
        }
        var features = result.Coverage.ToArray();
        _corpus.Add(new CorpusEntry(program.Packed(), features, _coverage.Add(features)));
        return true;
    }

    /// <summary>Runs a program (counting it); null if the machine threw (recorded in <see cref="MachineErrors"/>).</summary>
    private ExecutionResult? Execute(Program program)
    {
        Executions++;
        try
        {
            _options.BeforeExecute?.Invoke(program);
            return _executor.Run(program, _profile);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var error = MachineError.From(e, ProgramPrinter.Print(program), _profile.Name);
            if (_machineErrors.TryAdd(error.Key, error))
            {
                (_newMachineErrors ??= []).Add(error);
            }
            // The executor's pooled state may be half-updated: start from a clean one.
            _executor = new Executor(ExecutionOptions.Fast);
            return null;
        }
    }

    private void Report(Program program, ExecutionResult result)
    {
        foreach (var v in result.Violations)
        {
            ViolationsSeen++;
            CollectionsMarshal.GetValueRefOrAddDefault(_violationsBySignature, v.Signature, out _)++;
            ref var inBatch = ref CollectionsMarshal.GetValueRefOrAddDefault(_batchViolations, v.Signature, out var known);
            inBatch = (known ? inBatch.Kind : v.KindName, inBatch.Count + 1);
            ViolationSeen?.Invoke(program, v);
            var first = FirstSighting(v.Signature);
            // A shorter find may minimize to a shorter repro, or be a simpler root cause under the same signature: it
            // is reported too, each time the signature shows on fewer lines than ever before in this engine.
            if (!first && program.Statements.Length >= _shortestReported.GetValueOrDefault(v.Signature, int.MaxValue))
            {
                continue;
            }
            _shortestReported[v.Signature] = program.Statements.Length;
            var finding = new Finding(v.Signature, v.KindName, ProgramPrinter.Print(program), PrintedLine(program, v.Line));
            if (first)
            {
                (_findings ??= []).Add(finding);
            }
            else
            {
                (_shorter ??= []).Add(finding);
            }
        }
    }

    private bool FirstSighting(string signature)
    {
        if (!_firstSeen.TryAdd(signature, Executions))
        {
            return false;
        }
        Volatile.Write(ref _signatures, [.. _signatures, signature]);
        return true;
    }

    /// <summary>A mutant keeps its parent's line numbers; the finding's line must be the one in its printed text.</summary>
    private static int PrintedLine(Program program, int line)
    {
        for (var i = 0; i < program.Statements.Length; i++)
        {
            if (program.Statements[i].Line == line)
            {
                return program.Header.Length + i + 1;
            }
        }
        return line;
    }

    /// <summary>
    /// Runs a program that reached a new state once more with every effect observed: the oracle only judges what is
    /// observed, and the mutant that first reaches a state seldom observes the word it got wrong. The observed copy
    /// only reports, so it may pass the corpus's length cap (a program at the cap would otherwise observe nothing); the
    /// corpus keeps the program as it was.
    /// </summary>
    private void CheckObserved(Program program)
    {
        _work.Clear();
        _work.AddRange(program.Statements.AsSpan());
        if (_mutator.ObserveWrites(_work, Mutator.MaxStatements + Mutator.MaxObservations) && TryValidate(program, out var observed) && Execute(observed) is { } result)
        {
            Report(observed, result);
        }
    }

    /// <summary>
    /// When the generator's next draws make the next program a mutant, starts loading its parent and donor (see
    /// <see cref="Corpus.Warm"/>) for the run in between to hide: the draws <see cref="NextProgram"/> makes, on a copy
    /// of the generator. A guess (a new input's observed re-run draws first), never a draw: a wrong one loads an entry
    /// for nothing.
    /// </summary>
    private void WarmNextParent()
    {
        _rng.CopyTo(_lookahead);
        if (!Generates(_lookahead, Executions < _options.WarmUpExecutions))
        {
            // The draws Mutate picks its parent and donor with, in its order.
            var parent = _lookahead.NextULong();
            _corpus.Warm(parent, _lookahead.NextULong());
        }
    }

    /// <summary>Whether the next program is made fresh rather than mutated: the first of its draws from <paramref name="rng"/>.</summary>
    private bool Generates(Rng rng, bool warm) =>
        !_options.CoverageGuided || warm || _corpus.Count == 0 || rng.Percent(_options.GeneratePercent);

    private Program NextProgram()
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            // Warm-up: fresh programs only, drawn exactly as the blind baseline draws them (no extra random draw),
            // so what blind generation finds in its first executions the guided engine finds at the same point.
            var warm = Executions < _options.WarmUpExecutions;
            Program? parent = null;
            if (Generates(_rng, warm))
            {
                _generator.Generate(_work, _rng.Between(2, _options.MaxGeneratedCalls));
            }
            else if (!Mutate(out parent))
            {
                continue;
            }
            if (_work.Count > 0 && TryValidate(parent, out var program))
            {
                return program;
            }
            RejectedMutants++;
        }
        // The grammar's own output is valid by construction (a test guards it): fall back to it.
        _generator.Generate(_work, 4);
        return ProgramValidator.Validate(ImmutableArray<string>.Empty, _work);
    }

    /// <summary>
    /// Validates the work list, a mutant of <paramref name="parent"/> when not null (its unchanged leading lines are
    /// not checked again). Programs with lines after their process's exit are valid but left out: those lines would
    /// only be skipped.
    /// </summary>
    private bool TryValidate(Program? parent, [NotNullWhen(true)] out Program? program) =>
        ProgramValidator.TryValidate(ImmutableArray<string>.Empty, _work, parent, out program, out _, lineless: true, spellErrors: false)
        && program.LinesAfterExit == 0;

    private bool Mutate(out Program parent)
    {
        // The first two draws after Generates: WarmNextParent warms the entries they pick.
        parent = _corpus.Pick(_rng.NextULong()).Program;
        _work.Clear();
        _work.AddRange(parent.Statements.AsSpan());
        var donor = _corpus.Count > 1 ? _corpus.Pick(_rng.NextULong()).Program.Statements.AsSpan() : default;
        var wanted = 1;
        while (wanted < 5 && _rng.Percent(45))
        {
            wanted++;
        }
        var applied = 0;
        for (var tries = 0; applied < wanted && tries < wanted * 3; tries++)
        {
            if (_mutator.MutateOnce(_work, donor))
            {
                applied++;
            }
        }
        return applied > 0;
    }
}
