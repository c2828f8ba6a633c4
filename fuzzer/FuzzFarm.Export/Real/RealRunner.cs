using System.Diagnostics;

namespace FuzzFarm.Export.Real;

/// <summary>Runs a compiled export on this machine's kernel and parses what it printed.</summary>
public static class RealRunner
{
    /// <summary>Well above the program's own stall detection (10 s per step); only a broken watcher reaches it.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static RealOutput Run(string binary)
    {
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {binary}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            var killed = RealOutput.Parse(stdout.Result, -1);
            killed.Problems.Add($"killed after {Timeout.TotalSeconds:0} s");
            return killed;
        }
        var output = RealOutput.Parse(stdout.Result, process.ExitCode);
        if (stderr.Result.Length > 0)
        {
            output.Problems.Add("stderr: " + stderr.Result.Trim());
        }
        return output;
    }
}
