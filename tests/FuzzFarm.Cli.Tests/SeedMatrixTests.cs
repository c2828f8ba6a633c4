using System.Text.RegularExpressions;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>
/// The acceptance matrix: every seed in corpus/seeds and every program in corpus/open-upstream (discovered, so new
/// ones are covered) on every named profile violates exactly where its header says, with its header's kind and
/// signature on every violation.
/// </summary>
public sealed class SeedMatrixTests
{
    public static TheoryData<string> Seeds { get; } = [.. SeedHeader.MatrixFiles()];

    [Fact]
    public void The_seed_folder_holds_the_acceptance_scenarios()
    {
        var count = SeedHeader.SeedFiles().Count();
        Assert.True(count >= 12, $"only {count} seeds in {RepoPaths.Seeds}");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Header_names_profiles_oldest_first_and_a_real_signature(string seed)
    {
        var header = SeedHeader.Read(Path.Combine(RepoPaths.Corpus, seed));
        var named = KernelProfile.Named.Select(p => p.Name).ToList();

        Assert.NotEmpty(header.Violates);
        Assert.All(header.Violates, p => Assert.Contains(p, named));
        Assert.Equal(header.Violates.OrderBy(named.IndexOf), header.Violates);
        Assert.Contains(header.Kind, new[] { "cross-process-visibility", "lost-write", "hang", "kernel-warn" });
        // "<kind> in <kernel decision>: <rule> [<page kind>]" (machine.md §3).
        Assert.All(header.Signatures, s => Assert.Matches($@"^{Regex.Escape(header.Kind)} in \S+: .+ \[[a-z-]+\]$", s.Signature));
        Assert.All(header.Signatures.SelectMany(s => s.Profiles), p => Assert.Contains(p, header.Violates));
        // Every violating profile resolves to exactly one signature line.
        Assert.All(header.Violates, p => Assert.NotNull(header.SignatureFor(p)));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Seed_is_in_canonical_form(string seed)
    {
        // Seeds are compared with printed (minimized) repros, so they are written the way the printer writes.
        var text = File.ReadAllText(Path.Combine(RepoPaths.Corpus, seed));

        Assert.Equal(text, ProgramPrinter.Print(ProgramParser.Parse(text)));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Seed_violates_exactly_its_profiles_with_its_kind_and_signature(string seed)
    {
        var path = Path.Combine(RepoPaths.Corpus, seed);
        var header = SeedHeader.Read(path);
        var program = ProgramParser.Parse(File.ReadAllText(path));
        var executor = new Executor();

        var violating = new List<string>();
        var wrong = new List<string>();
        foreach (var profile in KernelProfile.Named)
        {
            var result = executor.Run(program, profile);
            if (result.Violations.Count > 0)
            {
                violating.Add(profile.Name);
            }
            foreach (var v in result.Violations)
            {
                if (v.KindName != header.Kind || v.Signature != header.SignatureFor(profile.Name))
                {
                    wrong.Add($"{profile.Name} line {v.Line}: {v.KindName}: {v.Signature}, expected {header.SignatureFor(profile.Name)}");
                }
            }
        }

        Assert.Equal(string.Join(' ', header.Violates), string.Join(' ', violating));
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }
}
