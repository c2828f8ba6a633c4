using System.Text;

namespace FuzzFarm.Programs;

/// <summary>
/// Canonical text of a program: header comments as <c># text</c>, then one statement per line,
/// <c>[tN: ]</c> (omitted for t0) <c>[name = ]op(arg, arg)[ &amp;]</c>, each line ending in a newline.
/// Line numbers: statement <c>i</c> (0-based) is on line <c>Header.Length + i + 1</c> of the printed text, which is the
/// line <see cref="ProgramValidator"/> gives statements built without source lines, so a runner's reports match the
/// printed repro. Parsed programs keep their source lines (they match the file the user ran).
/// </summary>
public static class ProgramPrinter
{
    // The fuzz engine prints every program it adds to the corpus: one builder per thread, grown once, not per print.
    [ThreadStatic]
    private static StringBuilder? cachedBuilder;

    /// <summary>A reused builder keeps at most this many characters of capacity.</summary>
    private const int KeptCapacity = 1 << 16;

    public static string Print(Program program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var sb = cachedBuilder ?? new StringBuilder();
        cachedBuilder = null;
        sb.Clear();
        foreach (var line in program.Header)
        {
            sb.Append('#');
            if (line.Length > 0)
            {
                sb.Append(' ').Append(line);
            }
            sb.Append('\n');
        }
        foreach (var statement in program.Statements)
        {
            AppendStatement(sb, statement);
            sb.Append('\n');
        }
        var text = sb.ToString();
        if (sb.Capacity <= KeptCapacity)
        {
            cachedBuilder = sb;
        }
        return text;
    }

    /// <summary>One statement without its newline.</summary>
    public static string Print(Statement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var sb = new StringBuilder();
        AppendStatement(sb, statement);
        return sb.ToString();
    }

    public static string Print(Arg arg)
    {
        var sb = new StringBuilder();
        AppendArg(sb, arg);
        return sb.ToString();
    }

    /// <summary>An argument's text: a number, a name with its offset, or flag words.</summary>
    private static void AppendArg(StringBuilder sb, Arg arg)
    {
        switch (arg.Form)
        {
            case ArgForm.Number:
                NumberText.AppendTo(sb, arg.Number);
                break;
            case ArgForm.Name:
                sb.Append(arg.Name);
                if (arg.Number != 0)
                {
                    sb.Append('+');
                    NumberText.AppendTo(sb, arg.Number);
                }
                break;
            default:
                FlagWords.AppendTo(sb, arg.Flags);
                break;
        }
    }

    internal static string OpName(Op op) => (uint)op < (uint)OpTable.All.Length ? OpTable.Get(op).Name : $"op{(int)op}";

    private static void AppendStatement(StringBuilder sb, Statement statement)
    {
        if (statement.Thread != Statement.MainThread)
        {
            sb.Append(statement.Thread).Append(": ");
        }
        if (statement.Binding is not null)
        {
            sb.Append(statement.Binding).Append(" = ");
        }
        sb.Append(OpName(statement.Op)).Append('(');
        var args = statement.Args.IsDefault ? [] : statement.Args;
        for (var i = 0; i < args.Length; i++)
        {
            sb.Append(i == 0 ? "" : ", ");
            AppendArg(sb, args[i]);
        }
        sb.Append(')');
        if (statement.Split)
        {
            sb.Append(" &");
        }
    }

    /// <summary>
    /// The 1-based column a token of <paramref name="statement"/> has in its printed line: lets the validator locate
    /// errors in statements that were built rather than parsed.
    /// </summary>
    internal static int ColumnOf(Statement statement, StatementToken token, int argIndex)
    {
        var column = 1;
        if (token == StatementToken.Start)
        {
            return column;
        }
        if (statement.Thread != Statement.MainThread)
        {
            column += statement.Thread.Length + 2;
        }
        if (statement.Binding is not null)
        {
            if (token == StatementToken.Binding)
            {
                return column;
            }
            column += statement.Binding.Length + 3;
        }
        if (token is StatementToken.Binding or StatementToken.Op)
        {
            return column;
        }
        column += OpName(statement.Op).Length + 1;
        var args = statement.Args.IsDefault ? [] : statement.Args;
        for (var i = 0; i < args.Length; i++)
        {
            if (token == StatementToken.Arg && i == argIndex)
            {
                return column;
            }
            column += Print(args[i]).Length + (i + 1 < args.Length ? 2 : 0);
        }
        // Past the arguments: an argument index beyond them points at ')', the split at '&'.
        return token == StatementToken.Split ? column + 2 : column;
    }
}

/// <summary>The parts of a statement an error can point at.</summary>
internal enum StatementToken
{
    Start,
    Binding,
    Op,
    Arg,
    Split,
}
