namespace FuzzFarm.Programs.Tests;

/// <summary>
/// Builds random valid statement lists through the AST from a seed: every op, every argument form, threads in several
/// processes, splits with their waits, exits. Tracks just enough state to stay valid.
/// </summary>
internal sealed class RandomProgramBuilder(int seed)
{
    private sealed class ThreadState(string name, int process)
    {
        public string Name { get; } = name;
        public int Process { get; } = process;
        public string? BusyWith { get; set; }
    }

    private readonly Random random = new(seed);
    private readonly List<ThreadState> threads = [new(Statement.MainThread, 0)];
    private readonly HashSet<int> exited = [];
    private readonly Dictionary<ParamKind, List<string>> bound = [];
    private readonly List<Statement> statements = [];
    private int processes = 1;
    private int names;

    public List<string> Header()
    {
        var header = new List<string>();
        for (var n = random.Next(3); n > 0; n--)
        {
            header.Add(random.Next(4) == 0 ? "" : $"{(random.Next(2) == 0 ? " " : "")}note {random.Next(1000)} # not a comment");
        }
        return header;
    }

    public List<Statement> Statements(int count)
    {
        bound[ParamKind.Thread] = [Statement.MainThread];
        for (var i = 0; i < count; i++)
        {
            var runnable = threads.FindAll(t => !exited.Contains(t.Process) && t.BusyWith is null);
            var busy = threads.FindAll(t => t.BusyWith is not null);
            if (busy.Count > 0 && (runnable.Count == 0 || random.Next(3) == 0))
            {
                Wait(busy[random.Next(busy.Count)]);
            }
            else if (runnable.Count > 0)
            {
                Add(runnable[random.Next(runnable.Count)]);
            }
        }
        foreach (var thread in threads.FindAll(t => t.BusyWith is not null))
        {
            Wait(thread);
        }
        return statements;
    }

    private void Wait(ThreadState thread)
    {
        statements.Add(new Statement(thread.Name, null, Op.Wait, [Arg.Ref(thread.BusyWith!)], false));
        thread.BusyWith = null;
    }

    private void Add(ThreadState thread)
    {
        OpInfo info;
        do
        {
            info = OpTable.All[random.Next(OpTable.All.Length)];
        }
        while (info.Op == Op.Wait || !Available(info) || (info.Op == Op.Exit && !MayExit(thread)));

        var args = new Arg[info.Params.Length];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = RandomArg(info.Params[i]);
        }
        var split = info.Splittable && random.Next(3) == 0;
        string? binding = null;
        if (info.Result == ParamKind.Thread)
        {
            binding = $"t{threads.Count}";
            var process = info.Op == Op.Fork ? processes++ : thread.Process;
            threads.Add(new ThreadState(binding, process));
            Bind(ParamKind.Thread, binding);
        }
        else if (split || (info.Result is not null && random.Next(5) != 0))
        {
            binding = $"{(split ? "h" : "v")}{names++}";
            Bind(split ? ParamKind.Handle : info.Result!.Value, binding);
        }
        if (split)
        {
            thread.BusyWith = binding;
        }
        if (info.Op == Op.Exit)
        {
            exited.Add(thread.Process);
        }
        statements.Add(new Statement(thread.Name, binding, info.Op, [.. args], split));
    }

    // An exiting process must leave a thread to run the rest, and none of its threads may be inside a split op.
    private bool MayExit(ThreadState thread) =>
        threads.Exists(t => t.Process != thread.Process && !exited.Contains(t.Process))
        && !threads.Exists(t => t.Process == thread.Process && t.BusyWith is not null);

    private bool Available(OpInfo info)
    {
        foreach (var kind in info.Params)
        {
            if (kind is ParamKind.Address or ParamKind.Pipe or ParamKind.Pin or ParamKind.File or ParamKind.Uffd
                && (!bound.TryGetValue(kind, out var list) || list.Count == 0))
            {
                return false;
            }
        }
        return true;
    }

    private void Bind(ParamKind kind, string name)
    {
        if (!bound.TryGetValue(kind, out var list))
        {
            bound[kind] = list = [];
        }
        list.Add(name);
    }

    private Arg RandomArg(ParamKind kind) => kind switch
    {
        ParamKind.Number => Arg.Num(RandomNumber()),
        ParamKind.Address => Arg.Ref(Pick(kind), random.Next(2) == 0 ? 0 : RandomNumber()),
        ParamKind.Prot or ParamKind.MapFlags or ParamKind.Advice or ParamKind.PinFlags or ParamKind.OnOff => Arg.Of(RandomFlags(kind)),
        _ => Arg.Ref(Pick(kind)),
    };

    private string Pick(ParamKind kind)
    {
        var list = bound[kind];
        return list[random.Next(list.Count)];
    }

    private long RandomNumber() => random.Next(8) switch
    {
        0 => 0,
        1 => random.Next(4096),
        2 => random.Next(1, 64) * 1024L,
        3 => random.Next(1, 64) * (1L << 20),
        4 => random.NextInt64(4096, 1L << 40),
        5 => long.MaxValue - random.Next(100),
        6 => random.Next(1, 4096) * 8L,
        _ => random.NextInt64(),
    };

    private Flag RandomFlags(ParamKind kind)
    {
        var (allowed, exactlyOneOf) = FlagWords.Rules(kind);
        var flags = Flag.None;
        var optional = allowed;
        foreach (var group in exactlyOneOf)
        {
            flags |= RandomBitOf(group);
            optional &= ~group;
        }
        for (var bit = 1u; bit != 0; bit <<= 1)
        {
            if ((optional & (Flag)bit) != 0 && random.Next(2) == 0)
            {
                flags |= (Flag)bit;
            }
        }
        return flags;
    }

    private Flag RandomBitOf(Flag group)
    {
        var bits = new List<Flag>();
        for (var bit = 1u; bit != 0; bit <<= 1)
        {
            if ((group & (Flag)bit) != 0)
            {
                bits.Add((Flag)bit);
            }
        }
        return bits[random.Next(bits.Count)];
    }
}
