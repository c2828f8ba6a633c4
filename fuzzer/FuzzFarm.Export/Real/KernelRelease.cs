using System.Globalization;

namespace FuzzFarm.Export.Real;

/// <summary>This machine's kernel release and the named profile (kernel-history.md §1.1) that describes it.</summary>
public static class KernelRelease
{
    // First release of each named profile's rule set, newest first; a release takes the newest profile not after it.
    private static readonly (int Major, int Minor, string Profile)[] Starts =
    [
        (6, 15, "v6.15"), (6, 2, "v6.2"), (6, 0, "v6.0"), (5, 19, "v5.19"), (5, 18, "v5.18"), (5, 12, "v5.12"),
        (5, 11, "v5.11"), (5, 9, "v5.9"), (5, 8, "v5.8"), (5, 7, "v5.7"),
    ];

    public static string Current() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    /// <summary>The profile for a release such as <c>6.18.44-fc</c>, or null for one older than every profile.</summary>
    public static string? ProfileFor(string release)
    {
        var parts = release.Split('.', '-');
        if (parts.Length < 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return null;
        }
        foreach (var (ma, mi, profile) in Starts)
        {
            if (major > ma || (major == ma && minor >= mi))
            {
                return profile;
            }
        }
        return null;
    }
}
