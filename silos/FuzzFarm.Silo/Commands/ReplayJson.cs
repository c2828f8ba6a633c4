using System.Text.Json;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// The replay JSON of machine.md §4: keys in the documented order, then <c>trace</c> when asked for. Written by hand
/// with <see cref="Utf8JsonWriter"/>, so the same run always gives the same bytes.
/// </summary>
public static class ReplayJson
{
    public static void Write(Stream output, KernelProfile profile, ExecutionResult result, bool trace)
    {
        using (var w = new Utf8JsonWriter(output, JsonOutput.Options))
        {
            w.WriteStartObject();
            w.WriteString("profile", profile.Name);
            w.WriteString("verdict", result.Verdict == Verdict.Violation ? "violation" : "ok");
            w.WriteStartArray("violations");
            foreach (var v in result.Violations)
            {
                w.WriteStartObject();
                w.WriteString("kind", v.KindName);
                w.WriteString("signature", v.Signature);
                w.WriteNumber("line", v.Line);
                w.WriteString("thread", v.Thread);
                w.WriteString("detail", v.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("observations");
            foreach (var o in result.Observations)
            {
                w.WriteStartObject();
                w.WriteNumber("line", o.Line);
                w.WriteString("thread", o.Thread);
                w.WriteString("op", o.Op);
                JsonOutput.WriteStrings(w, "values", o.Values);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("skipped");
            foreach (var s in result.Skipped)
            {
                w.WriteStartObject();
                w.WriteNumber("line", s.Line);
                w.WriteString("thread", s.Thread);
                w.WriteString("reason", s.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("executions", 1);
            if (trace)
            {
                w.WriteStartArray("trace");
                foreach (var t in result.Trace ?? [])
                {
                    w.WriteStartObject();
                    w.WriteNumber("line", t.Line);
                    w.WriteString("thread", t.Thread);
                    w.WriteString("op", t.Op);
                    JsonOutput.WriteStrings(w, "events", t.Events);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        JsonOutput.EndLine(output);
    }
}
