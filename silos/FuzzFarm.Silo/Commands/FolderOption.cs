namespace FuzzFarm.Silo.Commands;

/// <summary>A folder a command writes to, made before the work starts, so that a bad path fails at once instead of losing its results.</summary>
internal static class FolderOption
{
    public static void Create(string option, string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--{option} {dir}: cannot use it as a folder: {e.Message}");
        }
    }
}
