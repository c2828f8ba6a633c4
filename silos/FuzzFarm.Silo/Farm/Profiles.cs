using FuzzFarm.Machine;
using FuzzFarm.Silo.Commands;

namespace FuzzFarm.Silo.Farm;

/// <summary>Profile checks shared by the farm commands: a bad name is a usage error, before anything starts.</summary>
public static class Profiles
{
    public static string Validate(string profile)
    {
        try
        {
            return KernelProfile.Parse(profile).Name;
        }
        catch (ProfileException e)
        {
            throw new UsageException($"--profile: {e.Message}");
        }
    }

    public static IReadOnlyList<string> NamedInOrder() => KernelProfile.Named.Select(p => p.Name).ToList();
}
