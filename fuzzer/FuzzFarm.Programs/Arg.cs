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

    /// <summary>The value of a number, or the offset of a name argument.</summary>
    public long Number { get; init; }

    public string? Name { get; init; }

    public Flag Flags { get; init; }

    public int Column { get; init; }

    public static Arg Num(long value, int column = 0) => new() { Form = ArgForm.Number, Number = value, Column = column };

    public static Arg Ref(string name, long offset = 0, int column = 0) =>
        new() { Form = ArgForm.Name, Name = name, Number = offset, Column = column };

    public static Arg Of(Flag flags, int column = 0) => new() { Form = ArgForm.Flags, Flags = flags, Column = column };
}
