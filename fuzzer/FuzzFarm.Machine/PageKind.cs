namespace FuzzFarm.Machine;

/// <summary>The kind of page a kernel decision was taken on; the bracketed part of a signature.</summary>
public enum PageKind : byte
{
    Base,
    Thp,
    PteThp,
    Swap,
    Hugetlb,
    Zero,
    Shmem,
}

public static class PageKindNames
{
    public static string Of(PageKind kind) => kind switch
    {
        PageKind.Base => "base",
        PageKind.Thp => "thp",
        PageKind.PteThp => "pte-mapped-thp",
        PageKind.Swap => "swap",
        PageKind.Hugetlb => "hugetlb",
        PageKind.Zero => "zero-page",
        _ => "shmem",
    };
}
