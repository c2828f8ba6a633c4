using FuzzFarm.Export;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// <c>export-c</c>: prints (or writes) the self-contained C program for a FuzzFarm program: real system calls in
/// program order, each observation checked against the oracle's reference model. Exit 2 when the file is invalid or
/// uses something user space cannot express.
/// </summary>
public sealed class ExportCCommand : ICliCommand
{
    public string Name => "export-c";

    public string Usage => "export-c FILE [--out C_FILE]";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        var output = args.Option("out");
        args.EnsureAllConsumed();
        if (args.Positionals.Count != 1)
        {
            throw new UsageException("expected exactly one program file");
        }
        var file = args.Positionals[0];
        if (!ProgramFile.TryLoad(file, out var program, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            return 2;
        }
        string source;
        try
        {
            source = CExporter.Export(program!);
        }
        catch (ExportException e)
        {
            await Console.Error.WriteLineAsync(e.Format(file));
            return 2;
        }
        if (output is null)
        {
            await Console.Out.WriteAsync(source);
        }
        else
        {
            await File.WriteAllTextAsync(output, source, cancellation);
        }
        return 0;
    }
}
