namespace FuzzFarm.Silo.Commands;

/// <summary>One sub-command of <c>fuzzfarm</c>. Exit codes follow machine.md §4: 0 ok, 1 violation found, 2 invalid input.</summary>
public interface ICliCommand
{
    /// <summary>The word after <c>fuzzfarm</c>.</summary>
    string Name { get; }

    /// <summary>One usage line, shown by <c>fuzzfarm help</c> and after a usage error.</summary>
    string Usage { get; }

    Task<int> RunAsync(CliArgs args, CancellationToken cancellation);
}
