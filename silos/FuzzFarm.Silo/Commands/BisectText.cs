using FuzzFarm.Oracle.Bisection;
using FuzzFarm.Silo.Farm;

namespace FuzzFarm.Silo.Commands;

/// <summary>Human form of a bisection: one row per profile, then the transitions.</summary>
public static class BisectText
{
    public static void Write(TextWriter output, BisectionResult bisection)
    {
        var width = bisection.Results.Max(r => r.Profile.Length);
        foreach (var r in bisection.Results)
        {
            var verdict = r.Violated ? "violation" : "ok";
            output.WriteLine($"{r.Profile.PadRight(width)}  {verdict,-9}  {string.Join("; ", r.Signatures)}".TrimEnd());
        }
        output.WriteLine($"introduced: {CrashTables.ProfileList(bisection.Introduced)}");
        output.WriteLine($"fixed:      {CrashTables.ProfileList(bisection.Fixed)}");
    }
}
