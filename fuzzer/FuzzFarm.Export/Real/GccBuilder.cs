using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace FuzzFarm.Export.Real;

/// <summary>
/// Compiles exported C programs with gcc, one process per program, cached by the hash of the source and flags so a
/// program compiles once per artifacts folder.
/// </summary>
public sealed class GccBuilder(string cacheDirectory)
{
    private const string Flags = "-O0 -pthread -w";

    public string CacheDirectory { get; } = cacheDirectory;

    /// <summary><c>$FUZZFARM_ARTIFACTS/export-c</c>, or a folder under the temporary directory.</summary>
    public static string DefaultCacheDirectory()
    {
        var artifacts = Environment.GetEnvironmentVariable("FUZZFARM_ARTIFACTS");
        return string.IsNullOrEmpty(artifacts)
            ? Path.Combine(Path.GetTempPath(), "fuzzfarm-export-c")
            : Path.Combine(artifacts, "export-c");
    }

    /// <summary>The path of the binary for <paramref name="source"/>. Throws <see cref="GccException"/> on a compile error.</summary>
    public string Build(string source)
    {
        Directory.CreateDirectory(CacheDirectory);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Flags + "\n" + source)))[..24];
        var binary = Path.Combine(CacheDirectory, hash);
        if (File.Exists(binary))
        {
            return binary;
        }
        // Private names until the binary is in place: another process may be building the same program.
        var temp = $"{binary}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        var cFile = temp + ".c";
        File.WriteAllText(cFile, source);
        var psi = new ProcessStartInfo("gcc") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in Flags.Split(' '))
        {
            psi.ArgumentList.Add(a);
        }
        psi.ArgumentList.Add("-o");
        psi.ArgumentList.Add(temp);
        psi.ArgumentList.Add(cFile);
        using var gcc = Process.Start(psi) ?? throw new GccException("cannot start gcc");
        var stderr = gcc.StandardError.ReadToEndAsync();
        gcc.StandardOutput.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0)
        {
            var first = stderr.Result.Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.Ordinal)) ?? stderr.Result;
            throw new GccException($"gcc failed on {cFile}: {first.Trim()}");
        }
        File.Move(cFile, binary + ".c", overwrite: true);
        File.Move(temp, binary, overwrite: true);
        return binary;
    }

    /// <summary>
    /// Compiles every source, <paramref name="parallelism"/> gcc processes at a time (default: twice the cores, since
    /// a gcc run here spends most of its time starting up, not computing); results in input order.
    /// </summary>
    public IReadOnlyList<string> BuildAll(IReadOnlyList<string> sources, int parallelism = 0)
    {
        parallelism = parallelism > 0 ? parallelism : 2 * Environment.ProcessorCount;
        var binaries = new string[sources.Count];
        Parallel.For(0, sources.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, i => binaries[i] = Build(sources[i]));
        return binaries;
    }
}

public sealed class GccException(string message) : Exception(message);
