namespace FuzzFarm.Programs;

public static class ProgramPrinter
{
    public static string Print(Program program) => throw new NotImplementedException("being written: parser helper");
}
