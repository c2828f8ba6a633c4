namespace FuzzFarm.Machine;

/// <summary>The page cache of a shared anonymous mapping (shmem or hugetlbfs): folios by page index.</summary>
internal sealed class ShmObject
{
    public int Id;
    public bool Hugetlb;
    public readonly PageMap<Folio> Pages = new();

    public void Reset(int id, bool hugetlb)
    {
        Id = id;
        Hugetlb = hugetlb;
        Pages.Clear();
    }
}
