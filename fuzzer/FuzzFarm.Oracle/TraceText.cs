using System.Runtime.CompilerServices;

namespace FuzzFarm.Oracle;

/// <summary>
/// A trace line that is only formatted while the kernel records one: the fuzzer's runs trace nothing, and formatting
/// each failed or blocked line's text regardless cost a string per such line.
/// </summary>
[InterpolatedStringHandler]
internal ref struct TraceText
{
    private DefaultInterpolatedStringHandler _text;

    public TraceText(int literalLength, int formattedCount, Executor executor, out bool enabled)
    {
        enabled = executor.Tracing;
        _text = enabled ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public string ToStringAndClear() => _text.ToStringAndClear();
}
