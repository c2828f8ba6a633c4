namespace FuzzFarm.Bench;

/// <summary>The repository root (holding FuzzFarm.sln), found upwards from the working directory or the binary.</summary>
internal static class FuzzRepoRoot
{
    public static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FuzzFarm.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new DirectoryNotFoundException("FuzzFarm.sln not found above the working directory: run from the repository");
    }
}
