using System.Collections.Immutable;
using System.Diagnostics;
using FuzzFarm.Programs;

namespace FuzzFarm.AflHarness;

/// <summary>
/// Turns AFL's bytes into a valid program, the way a .NET user would put a byte-level fuzzer in front of a structured
/// target. Each statement reads a thread choice, an op choice (an index into the <see cref="OpTable"/>), one choice
/// per argument and, for ops with a preemption point, whether to split. Repair keeps every program valid: an op whose
/// resources do not exist yet becomes the op that creates them (mmap for an address, pipe, pin, file, uffd), a thread
/// inside a split op runs its wait, and splits still open at the end are waited. Every op of the table is reachable.
/// It knows the vocabulary and the sizes that matter (word, page, PMD), nothing about the bug scenarios.
/// </summary>
public static class ByteProgramDecoder
{
    public const int MaxStatements = 48;
    public const int MaxThreads = 6;

    private const long Word = 8;
    private const long Page = 4096;
    private const long Huge = 2L * 1024 * 1024;

    public static Program Decode(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var choices = new ByteChoices(input);
        var state = new DecodeState();
        while (choices.HasMore && state.Statements.Count < MaxStatements)
        {
            var runnable = state.RunnableThreads();
            if (runnable.Count == 0)
            {
                break;
            }
            var thread = runnable[choices.Choose(runnable.Count)];
            if (thread.OpenHandle is { } handle)
            {
                state.AddWait(thread, handle);
                continue;
            }
            var op = Repair(state, thread, (Op)choices.Choose(OpTable.All.Length));
            Emit(choices, state, thread, op);
        }
        foreach (var thread in state.Threads)
        {
            if (thread.OpenHandle is { } handle)
            {
                state.AddWait(thread, handle);
            }
        }
        return ProgramValidator.Validate(ImmutableArray<string>.Empty, state.Statements);
    }

    /// <summary>Each substitution moves toward an op without prerequisites (mmap, pipe, file, uffd), so this ends.</summary>
    private static Op Repair(DecodeState state, DecodeState.ThreadState thread, Op op)
    {
        while (true)
        {
            var replaced = op switch
            {
                // Only a thread inside a split op has something to wait for, and it never gets here.
                Op.Wait => Op.Load,
                Op.Fork or Op.Thread when state.Threads.Count >= MaxThreads => Op.Store,
                // Exiting would leave a sibling's split op never waited.
                Op.Exit when state.HasOpenHandle(thread.Process) => Op.Load,
                _ => MissingProducer(state, op) ?? op,
            };
            if (replaced == op)
            {
                return op;
            }
            op = replaced;
        }
    }

    private static Op? MissingProducer(DecodeState state, Op op)
    {
        foreach (var kind in OpTable.Get(op).Params)
        {
            if (Producer(kind) is { } producer && state.NamesOf(kind).Count == 0)
            {
                return producer;
            }
        }
        return null;
    }

    private static Op? Producer(ParamKind kind) => kind switch
    {
        ParamKind.Address => Op.Mmap,
        ParamKind.Pipe => Op.Pipe,
        ParamKind.Pin => Op.Pin,
        ParamKind.File => Op.File,
        ParamKind.Uffd => Op.Uffd,
        _ => null,
    };

    private static void Emit(ByteChoices choices, DecodeState state, DecodeState.ThreadState thread, Op op)
    {
        var info = OpTable.Get(op);
        var args = ImmutableArray.CreateBuilder<Arg>(info.Params.Length);
        for (var i = 0; i < info.Params.Length; i++)
        {
            args.Add(DecodeArg(choices, state, op, i, info.Params[i]));
        }
        var split = info.Splittable && choices.Choose(4) == 0;
        string? binding = null;
        long length = 0;
        if (split)
        {
            binding = state.NewName("h");
            thread.OpenHandle = binding;
        }
        else if (info.Result is { } result && result != ParamKind.Handle)
        {
            binding = result == ParamKind.Thread ? state.NewThread(thread, op == Op.Fork) : state.NewName(Prefix(result));
            length = op == Op.Mmap ? args[0].Number : 0;
        }
        state.Statements.Add(new Statement(thread.Name, binding, op, args.MoveToImmutable(), split));
        if (binding is not null && !split && info.Result is { } kind && kind != ParamKind.Thread)
        {
            state.Bind(kind, binding, length);
        }
        if (op == Op.Exit)
        {
            state.ProcessAlive[thread.Process] = false;
        }
    }

    private static Arg DecodeArg(ByteChoices choices, DecodeState state, Op op, int position, ParamKind kind)
    {
        switch (kind)
        {
            case ParamKind.Number:
                return Arg.Num(DecodeNumber(choices, op, position));
            case ParamKind.Address:
                var names = state.NamesOf(ParamKind.Address);
                var name = names[choices.Choose(names.Count)];
                var length = state.MappingLength(name);
                ReadOnlySpan<long> offsets = [0, 0, Word, Page, (length / 2) & ~(Page - 1), Math.Max(0, length - Page)];
                return Arg.Ref(name, choices.Choose(offsets));
            case ParamKind.Prot:
                return Arg.Of(choices.Choose<Flag>([Flag.ProtNone, Flag.R, Flag.Rw]));
            case ParamKind.MapFlags:
                var m = choices.Next();
                return Arg.Of(((m & 1) == 0 ? Flag.Private : Flag.Shared) | ((m & 2) != 0 ? Flag.Populate : 0) | ((m & 4) != 0 ? Flag.Hugetlb : 0));
            case ParamKind.Advice:
                return Arg.Of(choices.Choose<Flag>([Flag.DontFork, Flag.DoFork, Flag.HugePage, Flag.NoHugePage, Flag.DontNeed, Flag.PageOut]));
            case ParamKind.PinFlags:
                var p = choices.Next();
                return Arg.Of(((p & 1) == 0 ? Flag.R : Flag.Rw) | ((p & 2) != 0 ? Flag.LongTerm : 0) | ((p & 4) != 0 ? Flag.Fast : 0));
            case ParamKind.OnOff:
                return Arg.Of(choices.Choose<Flag>([Flag.On, Flag.Off]));
            case ParamKind.Thread:
                return Arg.Ref(state.Threads[choices.Choose(state.Threads.Count)].Name);
            case ParamKind.Pipe or ParamKind.Pin or ParamKind.File or ParamKind.Uffd:
                var bound = state.NamesOf(kind);
                return Arg.Ref(bound[choices.Choose(bound.Count)]);
            default:
                // Handles are only waited, and waits are placed by the decoder, never decoded from a choice.
                throw new UnreachableException($"no choice decodes a {kind} argument");
        }
    }

    /// <summary>Numbers by role: data written, an offset into a pin or a file, or a length.</summary>
    private static long DecodeNumber(ByteChoices choices, Op op, int position)
    {
        var isValue = (op, position) is (Op.Store, 1) or (Op.Memset, 2) or (Op.DmaWrite, 2);
        if (isValue)
        {
            return 1 + choices.Next();
        }
        if ((op, position) is (Op.DmaWrite, 1) or (Op.DmaRead, 1))
        {
            return choices.Choose<long>([0, Word, Page, Page + Word]);
        }
        if ((op, position) is (Op.PreadDirect, 1) or (Op.Write, 1))
        {
            return choices.Choose<long>([0, 512, Page, 2 * Page]);
        }
        return choices.Choose<long>([Page, Page, 2 * Page, 4 * Page, Huge, 2 * Huge, Word, 512]);
    }

    private static string Prefix(ParamKind kind) => kind switch
    {
        ParamKind.Address => "a",
        ParamKind.Pipe => "p",
        ParamKind.Pin => "pin",
        ParamKind.File => "f",
        _ => "u",
    };
}
