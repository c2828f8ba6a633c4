using System.Diagnostics;
using System.Reflection;

namespace FuzzFarm.Storage;

/// <summary>Starts the private PostgreSQL of <c>deploy/local/postgres.sh</c> and returns its connection string.</summary>
public static class LocalPostgres
{
    private const string ScriptPath = "deploy/local/postgres.sh";

    public static async Task<string> StartAsync(CancellationToken ct)
    {
        var script = FindScript() ?? throw new StorageException(
            $"no connection string given (--db or FUZZFARM_PG) and {ScriptPath} was not found above the current folder to start a private PostgreSQL");
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("start");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new StorageException($"could not run {script}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new StorageException($"could not run {script} with bash: {e.Message}", inner: e);
        }
        using var started = process;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = (await stdout).Trim();
        if (process.ExitCode != 0 || output.Length == 0)
        {
            var reason = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
            throw new StorageException($"{script} start failed (exit {process.ExitCode}): {reason}");
        }
        // The script's own status lines ("started on 127.0.0.1:54329 ...") tell the user where their data lives.
        foreach (var line in (await stderr).Split('\n').Where(l => l.StartsWith("postgres.sh: ", StringComparison.Ordinal)))
        {
            await Console.Error.WriteLineAsync(line);
        }
        return output.Split('\n').Last().Trim();
    }

    /// <summary>
    /// The script above the current folder, above the program's folder, or in the source tree this assembly was built
    /// from (tests and <c>dotnet run</c> execute from an artifacts folder outside the tree).
    /// </summary>
    public static string? FindScript()
    {
        var builtFrom = typeof(LocalPostgres).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "FuzzFarmSourceRoot")?.Value;
        string?[] starts = [Directory.GetCurrentDirectory(), AppContext.BaseDirectory, builtFrom];
        foreach (var start in starts)
        {
            for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ScriptPath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
