using System.Globalization;
using FuzzFarm.Oracle;
using FuzzFarm.Oracle.Bisection;
using FuzzFarm.Programs;
using FuzzFarm.Silo.Farm;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// <c>retriage</c>: replays the stored repro of every triaged crash group (of one campaign, or of all) on every
/// profile with this build's machine, and stores the new matrix and introduced/fixed in. A machine or oracle fix
/// changes verdicts, and groups triaged before it keep the old ones until then. The repro itself is kept: it is what
/// a user has already exported or filed.
/// </summary>
public sealed class RetriageCommand : ICliCommand
{
    public string Name => "retriage";

    public string Usage => "retriage [--campaign C] [--db CS]";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        var (campaign, database) = await CrashGroupsOptions.OpenAsync(args, cancellation);
        await using (database)
        {
            var groups = await database.Crashes.ListGroupsAsync(campaign, cancellation);
            int changed = 0, done = 0, unreadable = 0;
            var executor = new Executor();
            foreach (var group in groups)
            {
                if (group.MinimizedText is not { } text)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"group {group.Id}: not triaged yet, skipped"));
                    continue;
                }
                if (!ProgramParser.TryParse(text, out var program, out var error))
                {
                    // Stored text this build cannot read: say where, keep the row as it is.
                    await Console.Error.WriteLineAsync($"fuzzfarm retriage: {error.Format($"group {group.Id} repro")}");
                    unreadable++;
                    continue;
                }
                var bisection = Bisector.Run(program, executor);
                var own = bisection.Of(group.Signature);
                var others = bisection.OtherThan(group.Signature);
                var matrix = bisection.Matrix;
                await database.Crashes.SetTriageAsync(group.Campaign, group.Signature, text, matrix, others, own.Introduced, own.Fixed, cancellation);
                done++;
                var same = own.Introduced.SequenceEqual(group.IntroducedIn) && own.Fixed.SequenceEqual(group.FixedIn)
                    && Same(matrix, group.Matrix) && Same(others, group.OtherSignatures);
                changed += same ? 0 : 1;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"group {group.Id} {group.Signature}: introduced in {CrashTables.ProfileList(own.Introduced)}; fixed in {CrashTables.ProfileList(own.Fixed)}{(same ? "" : $" (was {CrashTables.ProfileList(group.IntroducedIn)}; {CrashTables.ProfileList(group.FixedIn)})")}"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{done} group(s) re-triaged, {changed} changed, {unreadable} unreadable"));
            return unreadable == 0 ? 0 : 1;
        }
    }

    private static bool Same<T>(IReadOnlyDictionary<string, T> a, IReadOnlyDictionary<string, T> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && EqualityComparer<T>.Default.Equals(v, kv.Value));
}
