using System.Collections.Concurrent;
using System.Diagnostics;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>A real <c>fuzzfarm</c> command run to completion, stdout and stderr collected line by line.</summary>
internal sealed class FuzzfarmProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly ConcurrentQueue<string> _lines = new();

    public string Output => string.Join('\n', _lines);

    /// <summary>Returns the exit code; a command still running after five minutes is killed and fails the test.</summary>
    public Task<int> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunAsync(string[])"/>, with extra environment variables.</summary>
    public async Task<int> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RepoPaths.FuzzfarmDll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) => Collect(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fuzzfarm {string.Join(' ', args)} did not finish in {Timeout}:\n{Output}");
        }
        // Without a timeout this also waits for the output streams to drain.
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}
