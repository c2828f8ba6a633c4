namespace FuzzFarm.AflHarness;

/// <summary>
/// AFL's input read as a stream of choices, one byte each. Past the end every choice is 0, so a truncated input still
/// decodes: the last statement just takes the first option of everything it still needs.
/// </summary>
internal sealed class ByteChoices(byte[] input)
{
    private int _position;

    public bool HasMore => _position < input.Length;

    public byte Next() => _position < input.Length ? input[_position++] : (byte)0;

    /// <summary>One of <paramref name="count"/> options.</summary>
    public int Choose(int count) => count <= 1 ? 0 : Next() % count;

    public T Choose<T>(ReadOnlySpan<T> options) => options[Choose(options.Length)];
}
