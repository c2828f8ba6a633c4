namespace FuzzFarm.Silo.Commands;

/// <summary>Text flattened for a one-line message: an exception's text may span lines.</summary>
internal static class OneLine
{
    public static string Of(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
