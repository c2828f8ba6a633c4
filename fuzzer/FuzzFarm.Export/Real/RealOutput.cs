using System.Globalization;

namespace FuzzFarm.Export.Real;

/// <summary>One OBS line: an observation made on the real kernel and judged by the exported reference model.</summary>
public sealed record RealObservation(int Line, string Thread, string Op, string? ViolationKind, string Text)
{
    public bool Ok => ViolationKind is null;

    /// <summary>The word read, for single-word observations (<c>got=</c>), else null.</summary>
    public ulong? Got { get; init; }
}

/// <summary>
/// The parsed output of one exported program (the line formats are documented at the top of runtime.c).
/// <see cref="Skip"/> is set when the kernel refused a feature and nothing ran.
/// </summary>
public sealed class RealOutput
{
    public string Kernel { get; private set; } = "";

    public string? Skip { get; private set; }

    public List<RealObservation> Observations { get; } = [];

    /// <summary>Writes still waiting at the end, where the reference model expects them to wait forever.</summary>
    public List<(int Line, string Thread)> Blocked { get; } = [];

    /// <summary>Writes the reference model expects to wait forever but that completed.</summary>
    public List<(int Line, string Thread)> Unblocked { get; } = [];

    /// <summary>STALL, ERROR and FAULT lines, and anything unparsable: the run did not go as the program says.</summary>
    public List<string> Problems { get; } = [];

    public int ExitCode { get; init; }

    public string Raw { get; init; } = "";

    public bool Ran => Skip is null;

    public bool Clean => Problems.Count == 0 && ExitCode == 0;

    public static RealOutput Parse(string stdout, int exitCode)
    {
        var output = new RealOutput { ExitCode = exitCode, Raw = stdout };
        var ended = false;
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = Fields(line);
            var head = line.Split(' ', 2)[0];
            switch (head)
            {
                case "BEGIN":
                    output.Kernel = fields.GetValueOrDefault("kernel", "");
                    break;
                case "SKIP":
                    output.Skip = $"{fields.GetValueOrDefault("feature", "?")}: {fields.GetValueOrDefault("reason", "")}";
                    break;
                case "OBS":
                    output.Observations.Add(new RealObservation(
                        int.Parse(fields["line"], CultureInfo.InvariantCulture), fields["thread"], fields["op"],
                        line.Contains(" violation ", StringComparison.Ordinal) ? fields.GetValueOrDefault("kind", "?") : null, line)
                    {
                        Got = fields.TryGetValue("got", out var got) && fields.GetValueOrDefault("words") == "1"
                            ? ulong.Parse(got.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                            : null,
                    });
                    break;
                case "BLOCKED":
                    output.Blocked.Add((int.Parse(fields["line"], CultureInfo.InvariantCulture), fields["thread"]));
                    break;
                case "UNBLOCKED":
                    output.Unblocked.Add((int.Parse(fields["line"], CultureInfo.InvariantCulture), fields["thread"]));
                    break;
                case "END":
                    ended = true;
                    break;
                default:
                    output.Problems.Add(line);
                    break;
            }
        }
        if (!ended)
        {
            output.Problems.Add("no END line: the program died before its watcher finished");
        }
        return output;
    }

    private static Dictionary<string, string> Fields(string line)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < line.Length)
        {
            var eq = line.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }
            var keyStart = line.LastIndexOf(' ', eq) + 1;
            var key = line[keyStart..eq];
            string value;
            if (eq + 1 < line.Length && line[eq + 1] == '"')
            {
                var close = line.IndexOf('"', eq + 2);
                close = close < 0 ? line.Length : close;
                value = line[(eq + 2)..close];
                i = close + 1;
            }
            else
            {
                var end = line.IndexOf(' ', eq);
                end = end < 0 ? line.Length : end;
                value = line[(eq + 1)..end];
                i = end;
            }
            result[key] = value;
        }
        return result;
    }
}
