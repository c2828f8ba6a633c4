using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>`fuzzfarm fuzz` checks its folders and its corpus before fuzzing: exit 2 and one line naming the path.</summary>
public sealed class FuzzOptionTests
{
    [Theory]
    [InlineData("--corpus")]
    [InlineData("--out")]
    public void A_file_where_a_folder_is_wanted_fails_before_fuzzing(string option)
    {
        var file = Path.GetTempFileName();
        try
        {
            var run = Fuzzfarm.Run("fuzz", "--profile", "v5.7", "--executions", "1000", option, file);

            Assert.Equal(2, run.ExitCode);
            var line = Assert.Single(run.StderrLines);
            Assert.Contains($"{option} {file}", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_corrupt_corpus_file_is_named_with_its_line_and_the_folder_is_left_as_it_was()
    {
        var dir = Directory.CreateTempSubdirectory("ff-corpus-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.ff"), "a = mmap(4K, rw, private)\nstore(a, 1)\n");
            File.WriteAllText(Path.Combine(dir, "b.ff"), "a = mmap(4K, rw, private)\nfrobnicate(a)\n");
            var run = Fuzzfarm.Run("fuzz", "--profile", "v5.7", "--executions", "1000", "--corpus", dir, "--out", Path.Combine(dir, "out"));

            Assert.Equal(2, run.ExitCode);
            Assert.StartsWith(Path.Combine(dir, "b.ff") + ":2:", Assert.Single(run.StderrLines), StringComparison.Ordinal);
            Assert.Equal(["a.ff", "b.ff"], Directory.GetFiles(dir, "*.ff").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
