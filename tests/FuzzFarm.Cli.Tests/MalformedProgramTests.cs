using System.Text.RegularExpressions;
using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>
/// Invalid programs through the real <c>fuzzfarm replay</c>: exit 2 and exactly one line on stderr that starts
/// with <c>FILE:line:column:</c>, pointing at the offending line (and column, where only one token can be at fault).
/// </summary>
public sealed partial class MalformedProgramTests
{
    private const string Mmap = "a = mmap(4K, rw, private)\n";

    // (name, program, line, column or 0 when several columns are defensible)
    public static TheoryData<string, string, int, int> Cases { get; } = new()
    {
        { "unknown op", "a = mmapp(4K, rw, private)\n", 1, 5 },
        { "unknown op after header and blank lines", "# header\n\n# more\nt1 = forkk()\n", 4, 6 },
        { "too few arguments", "a = mmap(4K, rw)\n", 1, 0 },
        { "too many arguments", "a = mmap(4K, rw, private, 1)\n", 1, 0 },
        { "argument to an op that takes none", "t1 = fork(1)\n", 1, 0 },
        { "unbound name", "store(b, 1)\n", 1, 7 },
        { "use before definition", "store(a, 1)\n" + Mmap, 1, 7 },
        { "bad number", "a = mmap(4Q, rw, private)\n", 1, 0 },
        { "bad hex digits", "a = mmap(0xZZ, rw, private)\n", 1, 0 },
        { "unknown size suffix", "a = mmap(4G, rw, private)\n", 1, 0 },
        { "number overflow", "a = mmap(99999999999999999999, rw, private)\n", 1, 10 },
        { "negative number", "a = mmap(-4K, rw, private)\n", 1, 10 },
        { "& on an op that cannot be split", Mmap + "h = load(a) &\n", 2, 0 },
        { "& on fork", "t1 = fork() &\n", 1, 0 },
        { "split never waited", Mmap + "h = mprotect(a, 4K, r) &\n", 2, 0 },
        { "handle waited twice", Mmap + "h = mprotect(a, 4K, r) &\nwait(h)\nwait(h)\n", 4, 0 },
        { "wait on another thread", Mmap + "t1 = thread()\nh = mprotect(a, 4K, r) &\nt1: wait(h)\n", 4, 0 },
        { "line on a thread inside a split op", Mmap + "h = mprotect(a, 4K, r) &\nstore(a, 1)\nwait(h)\n", 3, 0 },
        { "& without a handle", Mmap + "mprotect(a, 4K, r) &\n", 2, 0 },
        { "wait on something that is not a handle", Mmap + "wait(a)\n", 2, 6 },
        { "flag not allowed for the parameter", "a = mmap(4K, rw, hugepage)\n", 1, 18 },
        { "two of a group that needs exactly one", "a = mmap(4K, r|rw, private)\n", 1, 0 },
        { "none of a group that needs exactly one", "a = mmap(4K, rw, populate)\n", 1, 0 },
        { "name of the wrong kind", Mmap + "h = pin(a, 4K, rw)\nvmsplice(h, a, 4K)\n", 3, 10 },
        { "number where a name is expected", "store(4096, 1)\n", 1, 7 },
        { "name where a number is expected", Mmap + "store(a, a)\n", 2, 10 },
        { "offset on a parameter that is not an address", "p = pipe()\nread(p+8, 8)\n", 2, 0 },
        { "name bound twice", Mmap + Mmap, 2, 0 },
        { "flag word as a name", "private = mmap(4K, rw, private)\n", 1, 1 },
        { "thread op bound to a non-thread name", "x = fork()\n", 1, 0 },
        { "thread name bound by a non-thread op", "t1 = mmap(4K, rw, private)\n", 1, 0 },
        { "binding on an op that produces nothing", Mmap + "x = store(a, 1)\n", 2, 0 },
        { "unknown thread prefix", Mmap + "t5: store(a, 1)\n", 2, 1 },
        { "stray characters after the call", "a = mmap(4K, rw, private) x\n", 1, 0 },
        { "missing closing parenthesis", "a = mmap(4K, rw, private\n", 1, 0 },
        { "missing comma", "a = mmap(4K rw, private)\n", 1, 0 },
        { "empty argument", "a = mmap(4K, , private)\n", 1, 0 },
        { "offset without a number", Mmap + "store(a+, 1)\n", 2, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Replay_rejects_the_program_with_one_located_line(string name, string program, int line, int column)
    {
        var dir = Directory.CreateTempSubdirectory("ff-malformed-");
        try
        {
            var file = Path.Combine(dir.FullName, "bad.ff");
            File.WriteAllText(file, program);

            var run = Fuzzfarm.Run("replay", file, "--profile", "v5.9", "--json");

            Assert.True(run.ExitCode == 2, $"{name}: exit {run.ExitCode}, stderr: {run.Stderr}");
            Assert.Equal("", run.Stdout);
            var errors = run.StderrLines;
            Assert.True(errors.Length == 1, $"{name}: expected one line, got: {run.Stderr}");
            var m = Located().Match(errors[0]);
            Assert.True(m.Success, $"{name}: not FILE:line:col: message: {errors[0]}");
            Assert.Equal(file, m.Groups["file"].Value);
            Assert.Equal(line, int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture));
            var col = int.Parse(m.Groups["col"].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (column > 0)
            {
                Assert.Equal(column, col);
            }
            else
            {
                Assert.InRange(col, 1, program.Split('\n')[line - 1].Length + 1);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"^(?<file>.+):(?<line>\d+):(?<col>\d+): \S.*$")]
    private static partial Regex Located();
}
