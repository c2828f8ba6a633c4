using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FuzzFarm.Farm.Tests;

/// <summary>
/// A real <c>fuzzfarm</c> process (a silo, a client, an embedded run) with its output collected line by line as it
/// comes, so a test can wait for a line, read what a silo logged, or kill it hard.
/// </summary>
internal sealed class FarmProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private FarmProcess(Process process) => _process = process;

    public IReadOnlyList<string> Lines => [.. _lines];

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stdout { get; private set; } = "";

    public static FarmProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(FuzzfarmPath.Dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        var process = new Process { StartInfo = start };
        var farm = new FarmProcess(process);
        var stdout = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (stdout)
            {
                stdout.AppendLine(e.Data);
                farm.Stdout = stdout.ToString();
            }
            farm._lines.Enqueue(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                farm._lines.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return farm;
    }

    /// <summary>Runs a short command to completion.</summary>
    public static async Task<FarmProcess> RunAsync(TimeSpan timeout, params string[] args)
    {
        var farm = Start(args);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await farm._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            farm.Kill();
            throw new TimeoutException($"fuzzfarm {string.Join(' ', args)} did not finish in {timeout}:\n{string.Join('\n', farm.Lines)}");
        }
        // WaitForExit without a timeout also waits for the output streams to drain.
        await farm._process.WaitForExitAsync();
        return farm;
    }

    public async Task WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!_lines.Any(predicate))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"fuzzfarm exited ({_process.ExitCode}) before the expected line:\n{string.Join('\n', Lines)}");
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"expected line not seen in {timeout}:\n{string.Join('\n', Lines.TakeLast(40))}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>SIGTERM, as an operator or a service manager stops a silo, then waits for it to shut down.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }
        using (var signal = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync();
        }
        using var budget = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(budget.Token);
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine dies.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
