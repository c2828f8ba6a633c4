using FuzzFarm.Programs;
using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>
/// A campaign's corpus to and from a folder: <c>corpus export</c> writes what a resumed hub would hand out (or every
/// stored program), and <c>run --corpus DIR</c> seeds a campaign through its hub; a bad file stops it before anything
/// is stored.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class CorpusFolderTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromMinutes(1);

    private const string UffdWp = """
        a = mmap(4K, rw, private)
        store(a, 1)
        u = uffd()
        uffd_register(u, a, 4K)
        t1 = thread()
        w = uffd_wp(u, a, 4K, off) &
        t1: c = store(a, 3) &
        t1: wait(c)
        wait(w)
        load(a)

        """;

    private const string VmspliceThp = """
        a = mmap(2M, rw, private)
        madvise(a, 2M, hugepage)
        store(a, 1)
        t1 = fork()
        t1: p = pipe()
        t1: vmsplice(p, a, 4K)
        t1: munmap(a, 2M)
        store(a, 2)
        t1: read(p, 4K)

        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("fuzzfarm-corpus-").FullName;

    [Fact]
    public async Task Export_writes_the_programs_a_resumed_hub_hands_out_or_with_all_every_stored_one()
    {
        var cs = await postgres.CreateDatabaseAsync();
        const string one = "a = mmap(4K, rw, private)\nstore(a, 1)\n";
        const string two = "a = mmap(8K, rw, private)\nstore(a, 1)\n";
        const string three = "a = mmap(2M, rw, private)\nt1 = fork()\n";
        await using (var database = await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            await database.Campaigns.UpsertAsync(new CampaignRecord("src", "v5.7", 1, 1, "stopped", DateTimeOffset.UtcNow), CancellationToken.None);
            // The widest reaches 1-3, the second adds 4, the third reaches nothing they do not; the last does not parse.
            await database.Corpus.AddAsync("src",
            [
                ("h1", one, 3, [1, 2, 3]),
                ("h2", two, 2, [3, 4]),
                ("h3", three, 2, [1, 4]),
                ("bad", "a = mmap(4K, rw\n", 1, [9]),
            ], CancellationToken.None);
        }

        var cover = Path.Combine(_folder, "cover");
        var export = await FarmProcess.RunAsync(Short, "corpus", "export", "src", "--out", cover, "--db", cs);
        Assert.Equal(0, export.ExitCode);
        Assert.Contains(export.Lines, l => l.StartsWith("corpus of src: wrote 2 programs", StringComparison.Ordinal) && l.Contains("1 rows that do not parse skipped", StringComparison.Ordinal));
        Assert.Equal([one, two], Texts(cover));

        var all = Path.Combine(_folder, "all");
        Assert.Equal(0, (await FarmProcess.RunAsync(Short, "corpus", "export", "src", "--out", all, "--all", "--db", cs)).ExitCode);
        Assert.Equal([three, one, two], Texts(all));

        var missing = await FarmProcess.RunAsync(Short, "corpus", "export", "nobody", "--out", all, "--db", cs);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("fuzzfarm corpus: no campaign named 'nobody'", missing.Lines);
    }

    [Fact]
    public async Task A_campaign_seeded_from_a_folder_stores_the_programs_its_hub_kept()
    {
        var cs = await postgres.CreateDatabaseAsync();
        var seeds = Path.Combine(_folder, "seeds");
        Directory.CreateDirectory(seeds);
        // With a header, as a seed file has one: the corpus keeps the statements.
        File.WriteAllText(Path.Combine(seeds, "uffd.ff"), "# the uffd-wp stale TLB, cut down\n" + UffdWp);
        File.WriteAllText(Path.Combine(seeds, "thp.ff"), VmspliceThp);

        var run = await FarmProcess.RunAsync(TimeSpan.FromMinutes(3),
            "run", "--profile", "v5.7", "--campaign", "seeded", "--machines", "1", "--minutes", "0.1", "--corpus", seeds, "--db", cs);
        Assert.True(run.ExitCode is 0 or 1, string.Join('\n', run.Lines));
        var line = Assert.Single(run.Lines, l => l.StartsWith($"corpus {seeds}: 2 programs, ", StringComparison.Ordinal));
        var kept = int.Parse(line.Split(", ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        // Both reach features a machine's first second of fuzzing does not: the hub, empty when they came, kept both.
        Assert.Equal(2, kept);
        await using var database = await FarmDatabase.OpenAsync(cs, CancellationToken.None);
        var stored = (await database.Corpus.LoadAsync("seeded", CancellationToken.None)).Select(r => r.Text).ToHashSet(StringComparer.Ordinal);
        Assert.Contains(Canonical(UffdWp), stored);
        Assert.Contains(Canonical(VmspliceThp), stored);
    }

    [Fact]
    public async Task Campaign_start_with_a_folder_seeds_the_campaign_on_a_running_silo_and_a_bad_file_starts_nothing()
    {
        var cs = await postgres.CreateDatabaseAsync();
        var seeds = Path.Combine(_folder, "start");
        Directory.CreateDirectory(seeds);
        File.WriteAllText(Path.Combine(seeds, "uffd.ff"), UffdWp);
        File.WriteAllText(Path.Combine(seeds, "thp.ff"), VmspliceThp);
        var bad = Path.Combine(_folder, "start-bad");
        Directory.CreateDirectory(bad);
        File.WriteAllText(Path.Combine(bad, "bad.ff"), "a = mmap(4K, rw, private)\nstore(b, 1)\n");
        using var cluster = await SiloCluster.StartAsync(cs, 1);

        var refused = await cluster.ClientAsync("campaign", "start", "refused", "--profile", "v5.7", "--machines", "1", "--corpus", bad);
        Assert.Equal(2, refused.ExitCode);
        Assert.Single(refused.Lines, l => l.StartsWith(Path.Combine(bad, "bad.ff") + ":2:", StringComparison.Ordinal));
        Assert.Equal(0, await FarmQueries.ScalarAsync(cs, "SELECT count(*) FROM campaigns"));

        var start = await cluster.ClientAsync("campaign", "start", "seededc", "--profile", "v5.7", "--machines", "1", "--corpus", seeds);
        Assert.True(start.ExitCode == 0, string.Join('\n', start.Lines));
        Assert.Single(start.Lines, l => l.StartsWith($"corpus {seeds}: 2 programs, ", StringComparison.Ordinal));
        await using (var database = await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            await Eventually.HoldsAsync(async () =>
            {
                var stored = (await database.Corpus.LoadAsync("seededc", CancellationToken.None)).Select(r => r.Text).ToHashSet(StringComparer.Ordinal);
                return stored.Contains(Canonical(UffdWp)) && stored.Contains(Canonical(VmspliceThp));
            }, Short, () => ["the seeds are not both in the stored corpus"]);
        }
        Assert.Equal(0, (await cluster.ClientAsync("campaign", "stop", "seededc")).ExitCode);
    }

    [Fact]
    public async Task A_bad_file_in_the_folder_stops_run_before_anything_is_stored()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using (await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            // Schema in place, so "no campaign was created" is a real check.
        }
        var seeds = Path.Combine(_folder, "bad");
        Directory.CreateDirectory(seeds);
        File.WriteAllText(Path.Combine(seeds, "a-good.ff"), VmspliceThp);
        File.WriteAllText(Path.Combine(seeds, "b-bad.ff"), "a = mmap(4K, rw, private)\nstore(b, 1)\n");

        var run = await FarmProcess.RunAsync(Short, "run", "--profile", "v5.7", "--campaign", "never", "--minutes", "0.1", "--corpus", seeds, "--db", cs);
        Assert.Equal(2, run.ExitCode);
        var error = Assert.Single(run.Lines, l => l.StartsWith(Path.Combine(seeds, "b-bad.ff") + ":2:", StringComparison.Ordinal));
        Assert.Contains("'b'", error, StringComparison.Ordinal);
        Assert.Equal(0, await FarmQueries.ScalarAsync(cs, "SELECT count(*) FROM campaigns"));

        var missing = await FarmProcess.RunAsync(Short, "run", "--profile", "v5.7", "--minutes", "0.1", "--corpus", Path.Combine(_folder, "none"), "--db", cs);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains(missing.Lines, l => l.StartsWith("fuzzfarm run: --corpus", StringComparison.Ordinal) && l.Contains("no such folder", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The folder's file contents, sorted.</summary>
    private static List<string> Texts(string folder) =>
        [.. Directory.GetFiles(folder, "*.ff").Select(File.ReadAllText).Order(StringComparer.Ordinal)];

    private static string Canonical(string text) =>
        string.Concat(ProgramParser.Parse(text).Statements.Select(s => ProgramPrinter.Print(s) + "\n"));
}
