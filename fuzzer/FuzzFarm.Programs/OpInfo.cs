using System.Collections.Immutable;

namespace FuzzFarm.Programs;

/// <summary>
/// The signature of one op: its spelling, parameters, what its binding holds (null: it binds nothing unless
/// split), and whether it has a kernel preemption point where <c>&amp;</c> may split it.
/// </summary>
public sealed record OpInfo(Op Op, string Name, ImmutableArray<ParamKind> Params, ParamKind? Result, bool Splittable)
{
    /// <summary>True for ops whose outcome the oracle checks (machine.md §1: an observation).</summary>
    public bool IsObservation => Op is Op.Load or Op.Read or Op.DmaRead or Op.ProcessVmReadv or Op.Pagemap;
}
