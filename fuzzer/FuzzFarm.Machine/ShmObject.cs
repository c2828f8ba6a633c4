namespace FuzzFarm.Machine;

/// <summary>The page cache of a shared anonymous mapping (shmem or hugetlbfs): folios by page index.</summary>
internal sealed class ShmObject
{
    public int Id;
    public bool Hugetlb;
    public readonly Dictionary<long, Folio> Pages = [];

    public void Reset(int id, bool hugetlb)
    {
        Id = id;
        Hugetlb = hugetlb;
        Dictionaries.Reset(Pages);
    }
}
