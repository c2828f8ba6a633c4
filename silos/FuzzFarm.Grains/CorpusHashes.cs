using System.Security.Cryptography;
using System.Text;

namespace FuzzFarm.Grains;

/// <summary>The identity of a corpus program: a hash of its canonical text (the hub and the store de-duplicate by it).</summary>
public static class CorpusHashes
{
    public static string Of(string programText) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(programText)).AsSpan(0, 16));
}
