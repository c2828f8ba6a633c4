using FuzzFarm.Programs;

namespace FuzzFarm.AflHarness;

/// <summary>What the decoder has built so far: statements, threads and their processes, and the names bound by kind.</summary>
internal sealed class DecodeState
{
    private readonly Dictionary<ParamKind, List<string>> _names = [];
    private readonly Dictionary<string, long> _lengths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    public List<Statement> Statements { get; } = [];

    public List<ThreadState> Threads { get; } = [new(Statement.MainThread, 0)];

    public List<bool> ProcessAlive { get; } = [true];

    public List<ThreadState> RunnableThreads() => [.. Threads.Where(t => ProcessAlive[t.Process])];

    public bool HasOpenHandle(int process) => Threads.Any(t => t.Process == process && t.OpenHandle is not null);

    public IReadOnlyList<string> NamesOf(ParamKind kind) => _names.TryGetValue(kind, out var list) ? list : [];

    public long MappingLength(string name) => _lengths[name];

    public void Bind(ParamKind kind, string name, long length)
    {
        if (!_names.TryGetValue(kind, out var list))
        {
            _names[kind] = list = [];
        }
        list.Add(name);
        if (kind == ParamKind.Address)
        {
            _lengths[name] = length;
        }
    }

    public string NewName(string prefix)
    {
        var n = _counters.GetValueOrDefault(prefix) + 1;
        _counters[prefix] = n;
        return prefix + n;
    }

    /// <summary>Binds <c>tN</c>: in a new process for fork, in the caller's for thread.</summary>
    public string NewThread(ThreadState caller, bool fork)
    {
        var process = caller.Process;
        if (fork)
        {
            process = ProcessAlive.Count;
            ProcessAlive.Add(true);
        }
        var thread = new ThreadState("t" + Threads.Count, process);
        Threads.Add(thread);
        return thread.Name;
    }

    public void AddWait(ThreadState thread, string handle)
    {
        Statements.Add(new Statement(thread.Name, null, Op.Wait, [Arg.Ref(handle)], false));
        thread.OpenHandle = null;
    }

    internal sealed class ThreadState(string name, int process)
    {
        public string Name { get; } = name;

        public int Process { get; } = process;

        /// <summary>The handle of the split op this thread is inside, until its wait.</summary>
        public string? OpenHandle { get; set; }
    }
}
