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
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        // A hung replay must fail the test run, not stall it.
        if (!process.WaitForExit(HangLimit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fuzzfarm {string.Join(' ', args)} did not exit within {HangLimit}");
        }
        return new FuzzfarmRun(process.ExitCode, stdout.Result, stderr.Result);
    }
}
