namespace FuzzFarm.Machine;

/// <summary>
/// Objects reused across executions: Rent hands out the next one (reset by the caller), ReturnAll makes every
/// object available again at the start of the next execution. Nothing is freed individually.
/// </summary>
internal sealed class Pool<T>(Func<T> create)
    where T : class
{
    private readonly List<T> _items = [];
    private int _used;

    public T Rent()
    {
        if (_used == _items.Count)
        {
            _items.Add(create());
        }
        return _items[_used++];
    }

    /// <summary>The next <paramref name="count"/> objects at once (each reset by the caller), in the order Rent gives them.</summary>
    public ReadOnlySpan<T> RentMany(int count)
    {
        while (_items.Count < _used + count)
        {
            _items.Add(create());
        }
        var run = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_items).Slice(_used, count);
        _used += count;
        return run;
    }

    public void ReturnAll() => _used = 0;
}
