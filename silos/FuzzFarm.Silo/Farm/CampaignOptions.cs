using System.Text;
using FuzzFarm.Grains;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Silo.Commands;

namespace FuzzFarm.Silo.Farm;

/// <summary>The campaign options shared by <c>run</c> and <c>campaign start</c>: profile, machines, minutes, seed.</summary>
public static class CampaignOptions
{
    public static string Name(string name) =>
        CampaignNames.IsValid(name) ? name : throw new UsageException($"campaign name '{name}' is invalid: use {CampaignNames.Describe}");

    /// <summary>
    /// <c>run</c>'s campaign when none is named: <c>local-PROFILE</c>, with a derived profile's '+' written '.' and
    /// its '=' written '-' (<c>local-v5.9.fork_copies_pinned-false</c>), since campaign names allow neither; a name
    /// over 64 characters keeps its first 47 and a hash of the whole profile.
    /// </summary>
    public static string LocalName(string profile)
    {
        var name = new StringBuilder("local-");
        foreach (var c in profile)
        {
            name.Append(c switch
            {
                '+' => '.',
                '=' => '-',
                _ when char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' => c,
                _ => '_',
            });
        }
        if (name.Length <= 64)
        {
            return name.ToString();
        }
        return $"{name.ToString(0, 47)}-{TextHash.Hex16(profile)}";
    }

    public static CampaignConfig? Read(CliArgs args, string campaign, bool profileRequired, int defaultMachines)
    {
        var profileText = profileRequired ? args.RequiredOption("profile") : args.Option("profile");
        var machines = args.LongOption("machines");
        var minutes = Minutes(args.Option("minutes"));
        var seed = args.Option("seed");
        if (profileText is null)
        {
            if (machines is not null || minutes is not null || seed is not null)
            {
                throw new UsageException("--machines, --minutes and --seed need --profile (without it the stored campaign resumes as it was)");
            }
            return null;
        }
        if (machines is < 1 or > 1024)
        {
            throw new UsageException($"--machines must be between 1 and 1024, got {machines}");
        }

        return new CampaignConfig(
            Profiles.Validate(profileText),
            (int)(machines ?? defaultMachines),
            minutes is { } m ? TimeSpan.FromMinutes(m) : null,
            seed is null ? DefaultSeed(campaign) : ParseSeed(seed));
    }

    /// <summary>Minutes may be fractional (<c>--minutes 0.5</c>): short campaigns are what tests and demos want.</summary>
    private static double? Minutes(string? text)
    {
        if (text is null)
        {
            return null;
        }
        return double.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var m)
            && m is > 0 and <= 100_000
            ? m
            : throw new UsageException($"--minutes expects a number of minutes between 0 and 100000, got '{text}'");
    }

    /// <summary>Without --seed, a campaign's seed comes from its name: the same command fuzzes the same way.</summary>
    private static ulong DefaultSeed(string campaign) =>
        BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(campaign)), 0);

    private static ulong ParseSeed(string text) =>
        ulong.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seed)
            ? seed
            : throw new UsageException($"--seed expects a non-negative integer, got '{text}'");
}
