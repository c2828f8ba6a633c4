namespace FuzzFarm.Silo.Commands;

/// <summary>Every sub-command. Add a command here: one line each.</summary>
public static class CommandList
{
    public static IReadOnlyList<ICliCommand> All { get; } =
    [
        new RunCommand(),
        new SiloCommand(),
        new CampaignCommand(),
        new CorpusCommand(),
        new CrashesCommand(),
        new CrashCommand(),
        new RetriageCommand(),
        new ReplayCommand(),
        new BisectCommand(),
        new ProfilesCommand(),
        new ExportCCommand(),
        new RealCommand(),
        new FuzzCommand(),
    ];
}
