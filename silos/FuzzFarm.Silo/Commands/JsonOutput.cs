using System.Text.Encodings.Web;
using System.Text.Json;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// Shared settings of the command-line JSON: compact, one object per line, and only the escapes JSON requires
/// (the default encoder would print <c>+</c> in derived profile names as <c>\u002B</c>).
/// </summary>
internal static class JsonOutput
{
    public static JsonWriterOptions Options { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }

    public static void EndLine(Stream output)
    {
        output.WriteByte((byte)'\n');
        output.Flush();
    }
}
