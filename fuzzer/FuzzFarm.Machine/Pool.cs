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

    public void ReturnAll() => _used = 0;
}
