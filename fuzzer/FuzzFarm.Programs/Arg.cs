namespace FuzzFarm.Programs;

public enum ArgForm : byte
{
    Number,
    /// <summary>A bound name, with an optional <c>+offset</c> in <see cref="Arg.Number"/>.</summary>
    Name,
    Flags,
}

/// <summary>One argument. <see cref="Column"/> is 1-based in the source text (0 for built programs).</summary>
public readonly record struct Arg
{
    public ArgForm Form { get; init; }

    /// <summary>The value of a number, the offset of a name argument, or the bits of flags (see <see cref="Flags"/>).</summary>
    public long Number { get; init; }

    public string? Name { get; init; }

    /// <summary>
    /// The flags of a flags argument, none for the other forms. They are kept in <see cref="Number"/>, which a flags
    /// argument has no other use for: an argument is then 24 bytes instead of 32, and the fuzzer copies argument arrays
    /// for most of its mutants.
    /// </summary>
    public Flag Flags => Form == ArgForm.Flags ? (Flag)Number : Flag.None;

    public int Column { get; init; }

    public static Arg Num(long value, int column = 0) => new() { Form = ArgForm.Number, Number = value, Column = column };

    public static Arg Ref(string name, long offset = 0, int column = 0) =>
        new() { Form = ArgForm.Name, Name = name, Number = offset, Column = column };

    public static Arg Of(Flag flags, int column = 0) => new() { Form = ArgForm.Flags, Number = (long)flags, Column = column };
}
