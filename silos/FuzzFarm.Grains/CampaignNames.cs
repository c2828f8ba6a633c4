namespace FuzzFarm.Grains;

/// <summary>Campaign names appear in grain keys and command lines: letters, digits, '.', '-', '_' only.</summary>
public static class CampaignNames
{
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    public static string Describe => "1-64 characters of letters, digits, '.', '-', '_'";
}
