using System.Globalization;

namespace FuzzFarm.Grains;

/// <summary>The key of a machine grain: <c>campaign/index</c>. Campaign names cannot contain '/'.</summary>
public static class MachineKey
{
    public static string Format(string campaign, int index) => string.Create(CultureInfo.InvariantCulture, $"{campaign}/{index}");

    public static (string Campaign, int Index) Parse(string key)
    {
        var slash = key.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            throw new ArgumentException($"machine key '{key}' is not campaign/index", nameof(key));
        }
        return (key[..slash], index);
    }
}
