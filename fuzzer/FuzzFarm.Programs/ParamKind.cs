namespace FuzzFarm.Programs;

/// <summary>What an argument position accepts, and what a binding holds.</summary>
public enum ParamKind : byte
{
    /// <summary>A plain number (length, value, offset).</summary>
    Number,
    /// <summary>An address: a name bound by mmap, optionally <c>name+offset</c>.</summary>
    Address,
    /// <summary><c>none</c>, <c>r</c> or <c>rw</c>.</summary>
    Prot,
    /// <summary><c>private</c> or <c>shared</c>, optionally with <c>populate</c> and <c>hugetlb</c>.</summary>
    MapFlags,
    /// <summary>One madvise advice word.</summary>
    Advice,
    /// <summary><c>r</c> or <c>rw</c>, optionally with <c>longterm</c> and <c>fast</c>.</summary>
    PinFlags,
    /// <summary><c>on</c> or <c>off</c>.</summary>
    OnOff,
    /// <summary>A thread name (<c>t0</c> or bound by fork/thread).</summary>
    Thread,
    Pipe,
    Pin,
    File,
    Uffd,
    /// <summary>The handle of an op started with <c>&amp;</c>.</summary>
    Handle,
}
