using Xunit;

namespace FuzzFarm.Programs.Tests;

/// <summary>Every malformed program fails at the exact token, with a message saying what was expected.</summary>
public class MalformedProgramTests
{
    private const string Map = "a = mmap(4K, rw, private)\n";

    public static TheoryData<string, int, int, string> Cases { get; } = new()
    {
        // ops and arity
        { "mmapp(4K, rw, private)", 1, 1, "unknown op 'mmapp'; expected an op name (did you mean 'mmap'?)" },
        { "MMAP(4K, rw, private)", 1, 1, "unknown op 'MMAP'; expected an op name (did you mean 'mmap'?)" },
        { "exit()\vload(a)", 1, 7, "expected '&', a comment or end of line after ')', got U+000B" },
        { "frobnicate()", 1, 1, "unknown op 'frobnicate'; expected one of mmap, munmap" },
        { "a = mmap(4K, rw)", 1, 16, "expected argument 3 of mmap (map flags) before ')'" },
        { "a = mmap(4K, rw, private, 1)", 1, 27, "too many arguments: mmap(number, prot, map flags) takes 3 arguments; expected ')' after argument 3" },
        { "exit(1)", 1, 6, "too many arguments: exit() takes no arguments; expected ')'" },
        { Map + "store(a, 1,)", 2, 12, "expected argument 3 after ',', got ')'" },
        // names: unbound, use before definition, rebinding, reserved words
        { "store(b, 1)", 1, 7, "'b' is not bound; expected an address" },
        { "store(b, 1)\nb = mmap(4K, rw, private)", 1, 7, "'b' is used before it is bound at line 2; expected a name bound on an earlier line" },
        { Map + "a = mmap(4K, rw, private)", 2, 1, "'a' is already bound at line 1; expected a new name" },
        { "r = mmap(4K, rw, private)", 1, 1, "'r' is a flag word and cannot be bound; expected a name that is not a flag word" },
        { Map + "store(a, r)", 2, 10, "'r' is a flag word, not a name; expected a number as argument 2 of store" },
        { "t0 = fork()", 1, 1, "'t0' is the main thread; expected a new name" },
        { "t1 = fork()\nt1 = thread()", 2, 1, "'t1' is already bound at line 1; expected a new name" },
        { "t1 = mmap(4K, rw, private)", 1, 1, "'t1' is reserved for threads bound by fork or thread; expected another name" },
        { "x = fork()", 1, 1, "fork() binds a thread; expected a thread name t<digits>, e.g. t1 = fork()" },
        { "thread()", 1, 1, "thread() must bind its new thread; expected tN = thread()" },
        { Map + "x = store(a, 1)", 2, 1, "store produces nothing to bind; expected no binding, or & to bind the handle of a split" },
        // kinds
        { Map + "p = pipe()\nunpin(p)", 3, 7, "'p' is a pipe; expected a pin (a name bound by pin) as argument 1 of unpin" },
        { Map + "wait(a)", 2, 6, "'a' is an address; expected a handle (the name bound by an op split with &) as argument 1 of wait" },
        { Map + "load(7)", 2, 6, "argument 1 of load is the number 7; expected an address (a name bound by mmap, optionally name+offset)" },
        { Map + "munmap(a, a)", 2, 11, "argument 2 of munmap is the name 'a'; expected a number" },
        { Map + "h = pin(a+8, 4K, rw)\nunpin(h+8)", 3, 8, "'+offset' is only allowed on addresses; expected a pin (a name bound by pin) as argument 1 of unpin" },
        { Map + "clear_refs(a) &", 2, 12, "'a' is an address; expected a thread (t0 or a name bound by fork or thread) as argument 1 of clear_refs" },
        // flags
        { "a = mmap(4K, shared, private)", 1, 14, "'shared' is not allowed in argument 2 of mmap; expected a prot: none, r or rw" },
        { "a = mmap(4K, rw, r)", 1, 18, "'r' is not allowed in argument 3 of mmap; expected map flags: private or shared" },
        { "a = mmap(4K, r|rw, private)", 1, 14, "argument 2 of mmap has 'r|rw'; expected exactly one of none, r, rw" },
        { "a = mmap(4K, rw, private|shared)", 1, 18, "argument 3 of mmap has 'private|shared'; expected exactly one of private, shared" },
        { "a = mmap(4K, rw, populate)", 1, 18, "argument 3 of mmap has 'populate'; expected exactly one of private, shared" },
        { "a = mmap(4K, rw, private|private)", 1, 26, "flag 'private' is repeated in argument 3 of mmap; expected each flag at most once" },
        { "a = mmap(4K, rw, private|)", 1, 26, "expected a flag word after '|' (private, shared, populate, hugetlb), got ')'" },
        { Map + "madvise(a, 4K, dontfork|dofork)", 2, 16, "argument 3 of madvise has 'dontfork|dofork'; expected exactly one of dontfork, dofork" },
        { Map + "madvise(a, 4K, 1)", 2, 16, "argument 3 of madvise is the number 1; expected an advice: dontfork, dofork, hugepage, nohugepage, dontneed or pageout" },
        { Map + "madvise(a, 4K, foo)", 2, 16, "'foo' is not allowed in argument 3 of madvise; expected an advice" },
        { Map + "h = pin(a, 4K, longterm)", 2, 16, "argument 3 of pin has 'longterm'; expected exactly one of r, rw" },
        { Map + "u = uffd()\nuffd_register(u, a, 4K)\nw = uffd_wp(u, a, 4K, on|off) &\nwait(w)", 4, 23, "argument 4 of uffd_wp has 'on|off'; expected exactly one of on, off" },
        // numbers
        { "a = mmap(4G, rw, private)", 1, 11, "bad number suffix 'G'; expected K, M or none" },
        { "a = mmap(4k, rw, private)", 1, 11, "bad number suffix 'k'; expected K, M or none" },
        { "a = mmap(4KB, rw, private)", 1, 11, "bad number suffix 'KB'; expected K, M or none" },
        { "a = mmap(0x, rw, private)", 1, 12, "expected hex digits after '0x', got ','" },
        { "a = mmap(99999999999999999999, rw, private)", 1, 10, "number 99999999999999999999 does not fit in 63 bits; expected at most 0x7fffffffffffffff" },
        { "a = mmap(0x8000000000000000, rw, private)", 1, 10, "number 0x8000000000000000 does not fit in 63 bits" },
        { "a = mmap(8796093022208M, rw, private)", 1, 10, "number 8796093022208M does not fit in 63 bits" },
        { "a = mmap(-4K, rw, private)", 1, 10, "negative numbers are not allowed; expected a number as argument 1 of mmap" },
        { Map + "store(a+-8, 1)", 2, 9, "expected a non-negative offset after '+', got '-'" },
        { "a = mmap(1.5K, rw, private)", 1, 11, "expected ',' or ')' after argument 1 of mmap, got '.'" },
        // stray characters and missing punctuation
        { "a = mmap(4K, rw, private) $", 1, 27, "expected '&', a comment or end of line after ')', got '$'" },
        { "a = mmap(4K, rw, private", 1, 25, "expected ',' or ')' after argument 3 of mmap, got end of line" },
        { "a = mmap 4K, rw, private)", 1, 10, "expected '(' after 'mmap', got '4'" },
        { "a = mmap(4K rw, private)", 1, 13, "expected ',' or ')' after argument 1 of mmap, got 'r'" },
        { Map + "store(a, 1))", 2, 12, "expected '&', a comment or end of line after ')', got ')'" },
        { "= mmap(4K, rw, private)", 1, 1, "expected a statement: [tN:] [name =] op(args), got '='" },
        { "1a = mmap(4K, rw, private)", 1, 1, "expected a statement: [tN:] [name =] op(args), got '1'" },
        { "a mmap(4K, rw, private)", 1, 3, "expected ':', '=' or '(' after 'a', got 'm'" },
        { "t1: a mmap(4K, rw, private)", 1, 7, "expected '=' or '(' after 'a', got 'm'" },
        { "a = mmap(4K, é, private)", 1, 14, "expected argument 2 of mmap (a prot: none, r or rw), got 'é'" },
        { "a = mmap(4K, # rw, private)", 1, 14, "expected argument 2 of mmap (a prot: none, r or rw), got a comment" },
        { Map + "store(a, 1) # fine\nstore(a,@)", 3, 9, "expected argument 2 of store (a number), got '@'" },
        // threads and processes
        { "t1: store(a, 1)", 1, 1, "'t1' is not bound; expected t0 or a thread bound by fork or thread" },
        { Map + "a: store(a, 1)", 2, 1, "'a' is an address, not a thread; expected t0 or a thread bound by fork or thread" },
        { Map + "t1: u = uffd()\nt1 = thread()", 2, 1, "'t1' is used before it is bound at line 3; expected a name bound on an earlier line" },
        // split and wait
        { "a = mmap(4K, rw, private) &", 1, 27, "mmap cannot be split with &; expected & only on mprotect, store, pread_direct, process_vm_readv, clear_refs, uffd_wp" },
        { Map + "store(a, 1) &", 2, 13, "a split store needs a handle to wait on; expected h = store(...) &" },
        { Map + "h = store(a, 1) &", 2, 17, "store split with & is never waited; expected wait(h) on t0 later" },
        { Map + "t1 = thread()\nw = mprotect(a, 4K, r) &\nt1: h = store(a, 1) &\nwait(w)", 4, 21, "store split with & is never waited; expected wait(h) on t1 later" },
        { Map + "h = store(a, 1) &\nwait(h)\nwait(h)", 4, 6, "'h' was already waited at line 3; expected each handle to be waited exactly once" },
        { Map + "t1 = thread()\nh = store(a, 1) &\nt1: wait(h)", 4, 1, "wait(h) runs on t1, but t0 started it at line 3; expected t0: wait(h)" },
        { Map + "h = store(a, 1) &\nload(a)\nwait(h)", 3, 1, "t0 is inside store (split at line 2) until wait(h); expected a line of another thread or wait(h)" },
        { Map + "h = store(a, 1) &\nwait(h) &", 3, 9, "wait cannot be split with &" },
        { "f = file(4K)\n" + Map + "io = pread_direct(f, 0, a, 4K)\nwait(io)", 4, 6, "'io' is not the handle of a split op; expected a name bound by h = op(...) &" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FailsAtTheTokenSayingWhatWasExpected(string text, int line, int column, string message)
    {
        Assert.False(ProgramParser.TryParse(text, out var program, out var error));
        Assert.Null(program);
        Assert.Contains("expected", error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        var thrown = Assert.Throws<ProgramException>(() => ProgramParser.Parse(text));
        Assert.Equal(error.Format("p.ff"), thrown.Format("p.ff"));
    }

    [Fact]
    public void ThereAreAtLeastFortyCases() => Assert.True(Cases.Count >= 40, $"{Cases.Count} cases");

    [Fact]
    public void FormatNamesFileLineAndColumn()
    {
        var error = Assert.Throws<ProgramException>(() => ProgramParser.Parse("\n\n  load(x)"));
        Assert.Equal("seed.ff:3:8: 'x' is not bound; expected an address (a name bound by mmap, optionally name+offset)", error.Format("seed.ff"));
    }
}
