namespace FuzzFarm.Programs;

/// <summary>
/// Every flag word of the language, as bits, so one argument can carry <c>private|populate</c>.
/// Which words an argument accepts is given by its <see cref="ParamKind"/> (see <see cref="OpTable"/>).
/// </summary>
[Flags]
public enum Flag : uint
{
    None = 0,
    // prot (also pin access: r / rw)
    ProtNone = 1 << 0,
    R = 1 << 1,
    Rw = 1 << 2,
    // mmap flags
    Private = 1 << 3,
    Shared = 1 << 4,
    Populate = 1 << 5,
    Hugetlb = 1 << 6,
    // madvise advice
    DontFork = 1 << 7,
    DoFork = 1 << 8,
    HugePage = 1 << 9,
    NoHugePage = 1 << 10,
    DontNeed = 1 << 11,
    PageOut = 1 << 12,
    // pin flags
    LongTerm = 1 << 13,
    Fast = 1 << 14,
    // uffd_wp mode
    On = 1 << 15,
    Off = 1 << 16,
}
