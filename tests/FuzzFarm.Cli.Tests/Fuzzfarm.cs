using System.Diagnostics;
using System.Text;

namespace FuzzFarm.Cli.Tests;

/// <summary>One run of the real <c>fuzzfarm</c> process.</summary>
internal sealed record FuzzfarmRun(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

internal static class Fuzzfarm
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(2);

    public static FuzzfarmRun Run(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        Await(process, args);
        return new FuzzfarmRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts fuzzfarm, waits for its first line on stderr (it is at work) and then <paramref name="after"/>, sends it
    /// SIGTERM, as kill, timeout or a service manager would, and waits for it to exit.
    /// </summary>
    public static FuzzfarmRun RunAndTerminate(TimeSpan after, params string[] args)
    {
        using var process = new Process { StartInfo = StartInfo(args) };
        var stderr = new StringBuilder();
        var firstLine = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.Append(e.Data).Append('\n');
                }
                firstLine.TrySetResult();
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!firstLine.Task.Wait(HangLimit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fuzzfarm {string.Join(' ', args)} wrote nothing within {HangLimit}");
        }
        Thread.Sleep(after);
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        Await(process, args);
        // Flushes the last stderr events.
        process.WaitForExit();
        lock (stderr)
        {
            return new FuzzfarmRun(process.ExitCode, stdout.Result, stderr.ToString());
        }
    }

    private static void Await(Process process, string[] args)
    {
        // A hung run must fail the test run, not stall it.
        if (!process.WaitForExit(HangLimit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fuzzfarm {string.Join(' ', args)} did not exit within {HangLimit}");
        }
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(RepoPaths.FuzzfarmDll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        return start;
    }
}
