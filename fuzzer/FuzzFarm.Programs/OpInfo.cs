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

    /// <summary>
    /// A bit per parameter that takes a name (an address or a handle) rather than a number or flags: a valid program
    /// has a name exactly there, so a runner finds a line's names without looking at each argument's form.
    /// </summary>
    public int NameArgs { get; } = NamePositions(Params);

    private static int NamePositions(ImmutableArray<ParamKind> kinds)
    {
        var mask = 0;
        for (var i = 0; i < kinds.Length; i++)
        {
            if (kinds[i] != ParamKind.Number && !ParamKindText.IsFlags(kinds[i]))
            {
                mask |= 1 << i;
            }
        }
        return mask;
    }
}
