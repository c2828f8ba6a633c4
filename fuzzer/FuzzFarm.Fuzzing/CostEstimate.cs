using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// A deterministic stand-in for a program's run time (the fuzzer never reads the clock to decide): the machine's
/// work grows with the words an op touches and the pages fork copies, so a 2 MiB memset costs as much as hundreds
/// of one-word stores. The corpus favours cheap programs with it, as AFL favours fast ones.
/// </summary>
internal static class CostEstimate
{
    public static int Of(Program program)
    {
        long cost = 0;
        long mappedPages = 0;
        foreach (var s in program.Statements)
        {
            cost++;
            switch (s.Op)
            {
                case Op.Mmap:
                    var pages = Pages(s.Args[0]);
                    mappedPages += pages;
                    cost += (s.Args[2].Flags & Flag.Populate) != 0 ? pages / 8 : 0;
                    break;
                case Op.Fork:
                    cost += mappedPages / 64;
                    break;
                case Op.Memset or Op.Read or Op.Pin:
                    cost += Pages(s.Args[1]);
                    break;
                case Op.Vmsplice or Op.ProcessVmReadv:
                    cost += Pages(s.Args[2]);
                    break;
                case Op.PreadDirect or Op.Write:
                    cost += Pages(s.Args[3]);
                    break;
                default:
                    break;
            }
        }
        return (int)Math.Min(cost, 1 << 20);
    }

    private static long Pages(Arg length) => length.Form == ArgForm.Number ? length.Number / Sizes.Page : 0;
}
