using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace FuzzFarm.Programs;

/// <summary>
/// Checks a whole program before anything runs and resolves every name to a slot (slot 0 is t0; each binding takes
/// the next slot). It checks form, kinds, bindings, threads and split/wait structure; sizes and alignment are the
/// machine's. The fuzzer calls <see cref="TryValidate"/> on every candidate, so that path allocates little and throws
/// nothing for invalid programs.
/// Line numbers: statements keep their source lines when every statement has one and they increase after the header
/// (parsed text); otherwise statement <c>i</c> gets line <c>header.Length + i + 1</c>, its line in
/// <see cref="ProgramPrinter.Print(Program)"/>, its columns are cleared, and errors point at columns of that printed
/// text. The slots go to <see cref="Program.Slots"/>, so a statement comes back as the same object unless its line or
/// columns change.
/// </summary>
public static class ProgramValidator
{
    public static Program Validate(ImmutableArray<string> header, IEnumerable<Statement> statements) =>
        TryValidate(header, statements, out var program, out var error) ? program : throw error;

    public static bool TryValidate(
        ImmutableArray<string> header,
        IEnumerable<Statement> statements,
        [NotNullWhen(true)] out Program? program,
        [NotNullWhen(false)] out ProgramException? error)
    {
        ArgumentNullException.ThrowIfNull(statements);
        return TryValidate(header, statements as IReadOnlyList<Statement> ?? [.. statements], null, out program, out error);
    }

    /// <summary>
    /// <see cref="TryValidate(ImmutableArray{string}, IEnumerable{Statement}, out Program?, out ProgramException?)"/>
    /// for a list that may start with statements of <paramref name="basis"/> (a mutant of it): the leading statements
    /// that are <paramref name="basis"/>'s own objects, at their own indexes and lines, already passed every check
    /// there, which depends only on the lines before; only their effects on names are replayed. Same result as
    /// validating the whole list. With <paramref name="lineless"/>, statements that would be renumbered get line 0,
    /// which <see cref="Program.LineOf"/> reads as their position: a fuzzer's mutant then keeps the statement objects
    /// an insert moved (renumbering would re-create every one after it), and a runner reports the same lines.
    /// Without <paramref name="spellErrors"/>, an invalid program's error is one shared exception without its line,
    /// column or message (for a caller that only needs to know, as the fuzzer rejecting a mutant).
    /// </summary>
    public static bool TryValidate(
        ImmutableArray<string> header,
        IReadOnlyList<Statement> statements,
        Program? basis,
        [NotNullWhen(true)] out Program? program,
        [NotNullWhen(false)] out ProgramException? error,
        bool lineless = false,
        bool spellErrors = true)
    {
        ArgumentNullException.ThrowIfNull(statements);
        return ProgramChecker.For(header.IsDefault ? [] : header, statements, lineless, spellErrors).Run(basis, out program, out error);
    }
}
