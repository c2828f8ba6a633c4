using System.Text.Json;
using FuzzFarm.Oracle.Bisection;

namespace FuzzFarm.Silo.Commands;

/// <summary>The bisect JSON of machine.md §4, keys in the documented order.</summary>
public static class BisectJson
{
    public static void Write(Stream output, BisectionResult bisection)
    {
        using (var w = new Utf8JsonWriter(output, JsonOutput.Options))
        {
            w.WriteStartObject();
            w.WriteStartArray("results");
            foreach (var r in bisection.Results)
            {
                w.WriteStartObject();
                w.WriteString("profile", r.Profile);
                w.WriteString("verdict", r.Violated ? "violation" : "ok");
                JsonOutput.WriteStrings(w, "signatures", r.Signatures);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            JsonOutput.WriteStrings(w, "introduced", bisection.Introduced);
            JsonOutput.WriteStrings(w, "fixed", bisection.Fixed);
            w.WriteEndObject();
        }
        JsonOutput.EndLine(output);
    }
}
