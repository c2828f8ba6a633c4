using FuzzFarm.Grains;
using FuzzFarm.Silo.Farm;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// <c>corpus export</c>: writes a campaign's stored corpus to a folder, straight from PostgreSQL (no cluster needed),
/// one file per program as <c>fuzz --corpus</c> keeps them: what a resumed hub would hand the machines (a set cover of
/// the stored programs' features), or with <c>--all</c> every stored program. The folder seeds another campaign
/// (<c>run --corpus</c>, say on a profile with a proposed fix) or a local <c>fuzz --corpus</c> run.
/// </summary>
public sealed class CorpusCommand : ICliCommand
{
    public string Name => "corpus";

    public string Usage => "corpus export NAME --out DIR [--all] [--db CS]";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        if (args.Positionals.Count < 2 || args.Positionals[0] != "export")
        {
            throw new UsageException(args.Positionals.Count == 0 ? "expected the action 'export' and a campaign name"
                : args.Positionals[0] != "export" ? $"unknown action '{args.Positionals[0]}': expected export" : "expected a campaign name");
        }
        var name = CampaignOptions.Name(args.Positionals[1]);
        var outDir = args.RequiredOption("out");
        var all = args.Flag("all");
        var db = args.Option("db");
        args.EnsureAllConsumed();
        if (args.Positionals.Count > 2)
        {
            throw new UsageException($"unexpected argument '{args.Positionals[2]}'");
        }
        FolderOption.Create("out", outDir);

        var (database, _) = await FarmDatabaseOpener.OpenAsync(db, cancellation);
        await using (database)
        {
            if (await database.Campaigns.GetAsync(name, cancellation) is null)
            {
                await Console.Error.WriteLineAsync($"fuzzfarm corpus: no campaign named '{name}'");
                return 2;
            }
            var rows = await database.Corpus.LoadAsync(name, cancellation);
            var selection = CorpusResume.Select(rows, []);
            var written = all ? [.. selection.Kept, .. selection.Pruned] : selection.Kept;
            CorpusFolder.Save(outDir, written.Select(r => r.Text));
            await Console.Out.WriteLineAsync(
                $"corpus of {name}: wrote {written.Count} programs to {outDir} ({rows.Count} stored" +
                (all ? "" : $"; {selection.Pruned.Count} left out, their features reached by those written") +
                (selection.Corrupt.Count > 0 ? $"; {selection.Corrupt.Count} rows that do not parse skipped" : "") + ")");
            return 0;
        }
    }
}
