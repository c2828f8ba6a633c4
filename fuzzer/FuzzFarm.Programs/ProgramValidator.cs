namespace FuzzFarm.Programs;

public static class ProgramValidator
{
}
