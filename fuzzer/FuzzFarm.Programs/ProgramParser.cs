using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace FuzzFarm.Programs;

/// <summary>
/// Parses program text (machine.md §1) and validates it. Syntax errors are found here with the exact column;
/// everything about names, kinds, threads and split/wait structure is the validator's, shared with built programs.
/// Details the grammar leaves open: spaces and tabs may separate any two tokens (a tab is one column); lines end in
/// LF or CRLF; comment lines before the first statement (blank lines allowed among them) form the header; a bare word
/// is a flag word where the op takes flags and a name elsewhere, so flag words can never be names.
/// </summary>
public static class ProgramParser
{
    public static Program Parse(string text)
    {
        var (header, statements) = ParseSyntax(text);
        return ProgramValidator.Validate(header, statements);
    }

    public static bool TryParse(
        string text, [NotNullWhen(true)] out Program? program, [NotNullWhen(false)] out ProgramException? error)
    {
        ImmutableArray<string> header;
        List<Statement> statements;
        try
        {
            (header, statements) = ParseSyntax(text);
        }
        catch (ProgramException e)
        {
            program = null;
            error = e;
            return false;
        }
        return ProgramValidator.TryValidate(header, statements, out program, out error);
    }

    private static (ImmutableArray<string> Header, List<Statement> Statements) ParseSyntax(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var header = ImmutableArray.CreateBuilder<string>();
        var statements = new List<Statement>();
        var start = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        for (var lineNumber = 1; start <= text.Length; lineNumber++)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }
            var lineEnd = end > start && text[end - 1] == '\r' ? end - 1 : end;
            var line = new SourceLine(text[start..lineEnd], lineNumber);
            start = end + 1;
            line.SkipSpaces();
            if (line.Peek == '#')
            {
                if (statements.Count == 0)
                {
                    header.Add(line.CommentText());
                }
            }
            else if (!line.AtStatementEnd)
            {
                statements.Add(ParseStatement(line));
            }
        }
        return (header.ToImmutable(), statements);
    }

    private static Statement ParseStatement(SourceLine line)
    {
        var column = line.Column;
        var word = line.TryIdentifier() ?? throw line.Expected("a statement: [tN:] [name =] op(args)");
        var wordColumn = column;
        line.SkipSpaces();
        var thread = Statement.MainThread;
        var hasThread = false;
        if (line.Peek == ':')
        {
            thread = word;
            hasThread = true;
            line.Advance();
            line.SkipSpaces();
            wordColumn = line.Column;
            word = line.TryIdentifier() ?? throw line.Expected($"an op or a binding after '{thread}:'");
            line.SkipSpaces();
        }
        string? binding = null;
        var bindingColumn = 0;
        if (line.Peek == '=')
        {
            if (FlagWords.ByWord.ContainsKey(word))
            {
                throw line.FailAt(wordColumn, $"'{word}' is a flag word and cannot be bound; expected a name that is not a flag word");
            }
            binding = word;
            bindingColumn = wordColumn;
            line.Advance();
            line.SkipSpaces();
            wordColumn = line.Column;
            word = line.TryIdentifier() ?? throw line.Expected($"an op after '{binding} ='");
            line.SkipSpaces();
        }
        if (line.Peek != '(')
        {
            throw line.Expected(binding is not null ? $"'(' after '{word}'"
                : hasThread ? $"'=' or '(' after '{word}'"
                : $"':', '=' or '(' after '{word}'");
        }
        if (!OpTable.ByName.TryGetValue(word, out var info))
        {
            throw line.FailAt(wordColumn, UnknownOp(word));
        }
        line.Advance();
        var args = ParseArgs(line, info);
        line.SkipSpaces();
        var splitColumn = 0;
        if (line.Peek == '&')
        {
            splitColumn = line.Column;
            line.Advance();
            line.SkipSpaces();
            if (!line.AtStatementEnd)
            {
                throw line.Expected("a comment or end of line after '&'");
            }
        }
        else if (!line.AtStatementEnd)
        {
            throw line.Expected("'&', a comment or end of line after ')'");
        }
        return new SourceStatement(thread, binding, info.Op, args, splitColumn != 0, new StatementColumns(column, bindingColumn, wordColumn, splitColumn))
        {
            Line = line.Line,
        };
    }

    /// <summary>The arguments after '(' up to and including ')', checking the op's arity as it goes.</summary>
    private static ImmutableArray<Arg> ParseArgs(SourceLine line, OpInfo info)
    {
        var count = info.Params.Length;
        var args = ImmutableArray.CreateBuilder<Arg>(count);
        line.SkipSpaces();
        if (line.Peek != ')')
        {
            while (true)
            {
                if (args.Count == count)
                {
                    throw line.Fail($"too many arguments: {ParamKindText.Signature(info)} takes {ParamKindText.Arguments(count)}; expected ')'{(count == 0 ? "" : $" after argument {count}")}");
                }
                args.Add(ParseArg(line, info, args.Count));
                line.SkipSpaces();
                if (line.Peek == ')')
                {
                    break;
                }
                if (line.Peek != ',')
                {
                    throw line.Expected($"',' or ')' after argument {args.Count} of {info.Name}");
                }
                line.Advance();
                line.SkipSpaces();
                if (line.Peek == ')')
                {
                    throw line.Expected($"argument {args.Count + 1} after ','");
                }
            }
        }
        if (args.Count < count)
        {
            throw line.Fail($"expected argument {args.Count + 1} of {info.Name} ({ParamKindText.Name(info.Params[args.Count])}) before ')': {ParamKindText.Signature(info)} takes {ParamKindText.Arguments(count)}");
        }
        line.Advance();
        return args.MoveToImmutable();
    }

    private static Arg ParseArg(SourceLine line, OpInfo info, int index)
    {
        var kind = info.Params[index];
        var column = line.Column;
        var position = $"argument {index + 1} of {info.Name}";
        if (char.IsAsciiDigit(line.Peek))
        {
            return Arg.Num(line.Number(), column);
        }
        if (line.Peek == '-')
        {
            throw line.Fail($"negative numbers are not allowed; expected {ParamKindText.Expected(kind)} as {position}");
        }
        if (!Names.IsStart(line.Peek))
        {
            throw line.Expected($"{position} ({ParamKindText.Expected(kind)})");
        }
        if (ParamKindText.IsFlags(kind))
        {
            return Arg.Of(ParseFlags(line, kind, position), column);
        }
        var name = line.TryIdentifier()!;
        if (FlagWords.ByWord.ContainsKey(name))
        {
            throw line.FailAt(column, $"'{name}' is a flag word, not a name; expected {ParamKindText.Expected(kind)} as {position}");
        }
        line.SkipSpaces();
        if (line.Peek != '+')
        {
            return Arg.Ref(name, 0, column);
        }
        if (kind != ParamKind.Address)
        {
            throw line.Fail($"'+offset' is only allowed on addresses; expected {ParamKindText.Expected(kind)} as {position}");
        }
        line.Advance();
        line.SkipSpaces();
        if (!char.IsAsciiDigit(line.Peek))
        {
            throw line.Expected("a non-negative offset after '+'");
        }
        return Arg.Ref(name, line.Number(), column);
    }

    private static Flag ParseFlags(SourceLine line, ParamKind kind, string position)
    {
        var allowed = FlagWords.Rules(kind).Allowed;
        var flags = Flag.None;
        while (true)
        {
            var column = line.Column;
            var word = line.TryIdentifier() ?? throw line.Expected($"a flag word after '|' ({ParamKindText.Words(allowed, ", ")})");
            if (!FlagWords.ByWord.TryGetValue(word, out var flag) || (flag & allowed) == 0)
            {
                throw line.FailAt(column, $"'{word}' is not allowed in {position}; expected {ParamKindText.Expected(kind)}");
            }
            if ((flags & flag) != 0)
            {
                throw line.FailAt(column, $"flag '{word}' is repeated in {position}; expected each flag at most once");
            }
            flags |= flag;
            line.SkipSpaces();
            if (line.Peek != '|')
            {
                return flags;
            }
            line.Advance();
            line.SkipSpaces();
        }
    }

    private static string UnknownOp(string word)
    {
        string? closest = null;
        var best = 3;
        foreach (var info in OpTable.All)
        {
            var distance = EditDistance(word.ToLowerInvariant(), info.Name);
            if (distance < best)
            {
                best = distance;
                closest = info.Name;
            }
        }
        return closest is not null
            ? $"unknown op '{word}'; expected an op name (did you mean '{closest}'?)"
            : $"unknown op '{word}'; expected one of {string.Join(", ", OpTable.All.Select(i => i.Name))}";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
