namespace FuzzFarm.Machine;

/// <summary>
/// anon_vma identity, as far as it decides what merges: which VMAs may share one, and so become one VMA again.
/// </summary>
internal sealed partial class Kernel
{
    private int _anonVmaIds;

    /// <summary>
    /// anon_vma_prepare: a VMA without one reuses a neighbour's (find_mergeable_anon_vma: the next VMA, then the
    /// previous, when it adjoins, its flags match but for access and soft-dirty, and its chain holds only its own),
    /// else gets a new one.
    /// </summary>
    private void PrepareAnonVma(Process p, Vma vma)
    {
        if (vma.AnonVma != 0)
        {
            return;
        }
        var i = p.Vmas.IndexOf(vma);
        var next = i + 1 < p.Vmas.Count ? p.Vmas[i + 1] : null;
        var prev = i > 0 ? p.Vmas[i - 1] : null;
        var reused = next is not null && next.Start == vma.End && Reusable(next, vma) ? next
            : prev is not null && prev.End == vma.Start && Reusable(prev, vma) ? prev
            : null;
        vma.AnonVma = reused?.AnonVma ?? ++_anonVmaIds;
        vma.AnonVmaForked = false;
    }

    private static bool Reusable(Vma old, Vma vma) => old.AnonVma != 0 && !old.AnonVmaForked && SameFlags(old, vma, ignoreAccess: true);

    /// <summary>anon_vma_fork: a child VMA whose parent's has an anon_vma gets a new one, chained to the parent's.</summary>
    private void ForkAnonVma(Vma child)
    {
        if (child.AnonVma != 0)
        {
            child.AnonVma = ++_anonVmaIds;
            child.AnonVmaForked = true;
        }
    }
}
