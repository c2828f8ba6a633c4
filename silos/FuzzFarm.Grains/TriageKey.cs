namespace FuzzFarm.Grains;

/// <summary>The key of a triage grain: campaign and signature, separated by a newline (which neither may contain).</summary>
public static class TriageKey
{
    public static string Format(string campaign, string signature) => campaign + "\n" + signature;

    public static (string Campaign, string Signature) Parse(string key)
    {
        var split = key.IndexOf('\n', StringComparison.Ordinal);
        if (split <= 0)
        {
            throw new ArgumentException("triage key is not campaign\\nsignature", nameof(key));
        }
        return (key[..split], key[(split + 1)..]);
    }
}
