using System.Globalization;
using System.Text;

namespace FuzzFarm.Silo.Farm;

/// <summary>A short, stable name for a text: FNV-1a (64 bits) of its UTF-8 bytes, 16 hex digits. Not for security.</summary>
internal static class TextHash
{
    public static string Hex16(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
