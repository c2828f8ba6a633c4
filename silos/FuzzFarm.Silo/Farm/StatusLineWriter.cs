namespace FuzzFarm.Silo.Farm;

/// <summary>
/// Writes the status line: rewritten in place on a terminal, one line every ten seconds in a log (a redirected
/// stderr), so CI logs stay readable.
/// </summary>
public sealed class StatusLineWriter(TextWriter output)
{
    private static readonly TimeSpan LogPeriod = TimeSpan.FromSeconds(10);
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly System.Diagnostics.Stopwatch _sinceLogged = System.Diagnostics.Stopwatch.StartNew();
    private string _last = "";
    private bool _logged;

    public void Write(string line)
    {
        _last = line;
        if (_terminal)
        {
            output.Write("\r" + line + "\u001b[K");
        }
        else if (!_logged || _sinceLogged.Elapsed >= LogPeriod)
        {
            output.WriteLine(line);
            _logged = true;
            _sinceLogged.Restart();
        }
    }

    /// <summary>Ends the line on a terminal; in a log, makes sure the final state is printed.</summary>
    public void Finish()
    {
        if (_terminal)
        {
            output.WriteLine();
        }
        else
        {
            output.WriteLine(_last);
        }
    }
}
