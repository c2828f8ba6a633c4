using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// Random programs from the grammar: a run of calls on random threads, split ops closed by their waits a few lines
/// later (other threads' lines fall inside the window), and often a few observations at the end so that whatever the
/// calls did to memory gets checked by the oracle.
/// </summary>
internal sealed class Generator
{
    /// <summary>Lines after which a fresh program makes no more calls (its waits and observations may follow).</summary>
    private const int MaxCallLines = 20;

    private readonly Rng _rng;
    private readonly Grammar _grammar;
    private readonly Scope _scope = new();
    private readonly NameSet _names = new();
    private readonly List<int> _pending = new(4);

    public Generator(Rng rng, Grammar grammar)
    {
        _rng = rng;
        _grammar = grammar;
    }

    /// <summary>Fills <paramref name="output"/> (cleared first) with a program of about <paramref name="calls"/> calls.</summary>
    public void Generate(List<Statement> output, int calls)
    {
        output.Clear();
        _scope.Reset();
        _names.Clear();
        _pending.Clear();
        for (var step = 0; step < calls && output.Count < MaxCallLines; step++)
        {
            if (_pending.Count > 0 && (_scope.CountIdle() == 0 || _rng.Percent(35)))
            {
                ClosePending(output, _rng.Next(_pending.Count));
                continue;
            }
            Emit(output, CallMix.Any);
        }
        if (_rng.Percent(60))
        {
            var observations = _rng.Between(1, 3);
            for (var i = 0; i < observations; i++)
            {
                if (_pending.Count > 0 && _scope.CountIdle() == 0)
                {
                    ClosePending(output, 0);
                }
                Emit(output, CallMix.Observation);
            }
        }
        while (_pending.Count > 0)
        {
            ClosePending(output, _pending.Count - 1);
        }
    }

    private void Emit(List<Statement> output, CallMix mix)
    {
        var before = output.Count;
        if (!_grammar.EmitCall(_scope, _names, output, output.Count, mix) || output.Count == before)
        {
            return;
        }
        if (output[^1].Split)
        {
            _pending.Add(_scope.ResourceIndex(output[^1].Binding!));
        }
    }

    private void ClosePending(List<Statement> output, int which)
    {
        var wait = Grammar.Wait(_scope, _pending[which]);
        output.Add(wait);
        _scope.Apply(wait, output.Count - 1);
        _pending.RemoveAt(which);
    }
}
