using System.Runtime.InteropServices;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>A name bound by a statement, as the generator sees it: what it holds and where it came from.</summary>
internal struct Resource
{
    public string Name;
    public ParamKind Kind;
    /// <summary>Index of the binding statement.</summary>
    public int DefinedAt;
    /// <summary>Process of the binding thread (for pins and addresses: the process whose memory it is).</summary>
    public int Process;
    /// <summary>Byte length of a mapping, pin, file or split range; 0 when not a range.</summary>
    public long Length;
    public Flag Flags;
    /// <summary>For addresses: bit p set while process p maps it (inherited at fork unless dontfork).</summary>
    public ulong Holders;
    public bool DontFork;
    /// <summary>For addresses: the userfaultfd last registered on it, or null.</summary>
    public string? Uffd;
    /// <summary>For handles: the thread that must wait it; -1 once waited or when it cannot be waited.</summary>
    public int WaitingThread;
}

internal struct ThreadState
{
    public string Name;
    public int Process;
    public bool Alive;
    /// <summary>Resource index of the split op this thread is inside, or -1.</summary>
    public int BusyWith;
}

/// <summary>
/// The resources, threads and processes that exist just before a given line, computed by replaying the statements'
/// effects abstractly. Generation and mutation ask it which names and threads a new line may use there.
/// Reused between calls (it is reset, not reallocated) because it runs for every mutant.
/// </summary>
internal sealed class Scope
{
    public const int MaxProcesses = 64;

    public List<Resource> Resources { get; } = new(32);

    public List<ThreadState> Threads { get; } = new(8);

    public int ProcessCount { get; private set; }

    /// <summary>
    /// Resources by kind, counted as they are added (resources are never removed but by a reset): the grammar asks for
    /// these counts for every call it builds, and a scan of every resource cost more than keeping them.
    /// </summary>
    private readonly int[] _kindCounts = new int[(int)ParamKind.Handle + 1];

    public void Reset()
    {
        Resources.Clear();
        Array.Clear(_kindCounts);
        Threads.Clear();
        Threads.Add(new ThreadState { Name = Statement.MainThread, Process = 0, Alive = true, BusyWith = -1 });
        ProcessCount = 1;
    }

    /// <summary>Resets and applies statements [0, end).</summary>
    public void Build(List<Statement> statements, int end)
    {
        Reset();
        var lines = CollectionsMarshal.AsSpan(statements)[..end];
        for (var i = 0; i < lines.Length; i++)
        {
            Apply(lines[i], i);
        }
    }

    // Lookups scan from the end, so a name bound twice (a mutant before validation) means its last binding. A scope
    // holds a few threads and a few dozen resources: a scan costs less than hashing every name a replay binds.

    public int ThreadIndex(string name)
    {
        var threads = CollectionsMarshal.AsSpan(Threads);
        for (var i = threads.Length - 1; i >= 0; i--)
        {
            if (NameSet.Same(threads[i].Name, name))
            {
                return i;
            }
        }
        return -1;
    }

    public int ResourceIndex(string name)
    {
        var resources = CollectionsMarshal.AsSpan(Resources);
        for (var i = resources.Length - 1; i >= 0; i--)
        {
            if (NameSet.Same(resources[i].Name, name))
            {
                return i;
            }
        }
        return -1;
    }

    public bool IsIdle(int thread)
    {
        ref readonly var th = ref CollectionsMarshal.AsSpan(Threads)[thread];
        return th.Alive && th.BusyWith < 0;
    }

    /// <summary>
    /// Applies the effects of line <paramref name="index"/>. Each case looks up the line's thread only if it needs it:
    /// most lines (stores, loads, pagemaps...) bind nothing and change no resource or thread.
    /// </summary>
    public void Apply(Statement s, int index)
    {
        // Resources and threads are updated in place, not copied out of their lists and written back.
        switch (s.Op)
        {
            case Op.Fork when s.Binding is not null && ProcessCount < MaxProcesses:
                var process = ProcessOf(ThreadIndex(s.Thread));
                var child = ProcessCount++;
                AddThread(s.Binding, child);
                var parentBit = 1UL << process;
                foreach (ref var res in CollectionsMarshal.AsSpan(Resources))
                {
                    if (res.Kind == ParamKind.Address && (res.Holders & parentBit) != 0 && !res.DontFork)
                    {
                        res.Holders |= 1UL << child;
                    }
                }
                return;
            case Op.Thread when s.Binding is not null:
                AddThread(s.Binding, ProcessOf(ThreadIndex(s.Thread)));
                return;
            case Op.Exit:
                var exiting = ProcessOf(ThreadIndex(s.Thread));
                foreach (ref var th in CollectionsMarshal.AsSpan(Threads))
                {
                    if (th.Process == exiting)
                    {
                        th.Alive = false;
                    }
                }
                ClearHolder(exiting);
                return;
            case Op.Munmap:
                var m = AddressResource(s.Args[0]);
                if (m >= 0 && s.Args[0].Number == 0 && Number(s.Args[1]) >= CollectionsMarshal.AsSpan(Resources)[m].Length)
                {
                    CollectionsMarshal.AsSpan(Resources)[m].Holders &= ~(1UL << ProcessOf(ThreadIndex(s.Thread)));
                }
                return;
            case Op.Madvise:
                var a = AddressResource(s.Args[0]);
                if (a >= 0 && s.Args[2].Flags is Flag.DontFork or Flag.DoFork)
                {
                    CollectionsMarshal.AsSpan(Resources)[a].DontFork = s.Args[2].Flags == Flag.DontFork;
                }
                return;
            case Op.UffdRegister:
                var registered = AddressResource(s.Args[1]);
                if (registered >= 0 && s.Args[0].Name is { } uffd)
                {
                    CollectionsMarshal.AsSpan(Resources)[registered].Uffd = uffd;
                }
                return;
            case Op.Wait:
                var h = s.Args.Length == 1 && s.Args[0].Name is { } hn ? ResourceIndex(hn) : -1;
                if (h >= 0)
                {
                    CollectionsMarshal.AsSpan(Resources)[h].WaitingThread = -1;
                }
                var waiter = ThreadIndex(s.Thread);
                if (waiter >= 0)
                {
                    CollectionsMarshal.AsSpan(Threads)[waiter].BusyWith = -1;
                }
                return;
            default:
                if (s.Binding is not null)
                {
                    var t = ThreadIndex(s.Thread);
                    Bind(s, index, t, ProcessOf(t));
                }
                return;
        }
    }

    /// <summary>The process of thread <paramref name="t"/> (an index into <see cref="Threads"/>), t0's when it is -1.</summary>
    private int ProcessOf(int t) => t >= 0 ? CollectionsMarshal.AsSpan(Threads)[t].Process : 0;

    /// <summary>Adds the resource a line binds (apart from Apply: most lines bind nothing, and need no resource made).</summary>
    private void Bind(Statement s, int index, int t, int process)
    {
        var kind = s.Split ? ParamKind.Handle : s.Info.Result ?? ParamKind.Handle;
        var resource = new Resource
        {
            Name = s.Binding!,
            Kind = kind,
            DefinedAt = index,
            Process = process,
            WaitingThread = s.Split ? t : -1,
        };
        switch (s.Op)
        {
            case Op.Mmap:
                resource.Length = Number(s.Args[0]);
                resource.Flags = s.Args[2].Flags;
                resource.Holders = 1UL << process;
                break;
            case Op.Pin:
                resource.Length = Number(s.Args[1]);
                resource.Flags = s.Args[2].Flags;
                break;
            case Op.File:
                resource.Length = Number(s.Args[0]);
                break;
            default:
                break;
        }
        Resources.Add(resource);
        _kindCounts[(int)kind]++;
        if (s.Split && t >= 0)
        {
            CollectionsMarshal.AsSpan(Threads)[t].BusyWith = Resources.Count - 1;
        }
    }

    /// <summary>Threads that can run a new line here.</summary>
    public int CountIdle()
    {
        var n = 0;
        foreach (ref readonly var th in CollectionsMarshal.AsSpan(Threads))
        {
            if (th.Alive && th.BusyWith < 0)
            {
                n++;
            }
        }
        return n;
    }

    public int CountKind(ParamKind kind) => _kindCounts[(int)kind];

    /// <summary>The index of the <paramref name="n"/>-th resource (from 0) of <paramref name="kind"/>, or -1 when there are fewer.</summary>
    public int NthOfKind(ParamKind kind, int n)
    {
        var resources = CollectionsMarshal.AsSpan(Resources);
        for (var i = 0; i < resources.Length; i++)
        {
            if (resources[i].Kind == kind && n-- == 0)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>True if any thread of the process is inside a split op (so the process must not exit yet).</summary>
    public bool ProcessBusy(int process)
    {
        foreach (ref readonly var th in CollectionsMarshal.AsSpan(Threads))
        {
            if (th.Process == process && th.Alive && th.BusyWith >= 0)
            {
                return true;
            }
        }
        return false;
    }

    private int AddressResource(Arg arg) => arg.Form == ArgForm.Name && arg.Name is { } n ? ResourceIndex(n) : -1;

    private static long Number(Arg arg) => arg.Form == ArgForm.Number ? arg.Number : 0;

    private void AddThread(string name, int process)
    {
        Threads.Add(new ThreadState { Name = name, Process = process, Alive = true, BusyWith = -1 });
    }

    private void ClearHolder(int process)
    {
        var bit = 1UL << process;
        foreach (ref var res in CollectionsMarshal.AsSpan(Resources))
        {
            res.Holders &= ~bit;
        }
    }
}
