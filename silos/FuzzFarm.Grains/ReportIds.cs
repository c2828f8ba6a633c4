using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FuzzFarm.Grains;

/// <summary>
/// Report ids are a hash of what was found, not a counter or a GUID: a machine that retries, or that is re-created
/// on another silo and re-finds the same program with its deterministic seed, sends the same id, and the store
/// counts it once.
/// </summary>
public static class ReportIds
{
    public static string For(string campaign, int machine, string signature, string programText)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{campaign}\0{machine}\0{signature}\0{programText}");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
