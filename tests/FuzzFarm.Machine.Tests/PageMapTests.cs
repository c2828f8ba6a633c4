using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// PageMap replaces dictionaries on the machine's hottest paths (TLB, page cache, the oracle's pages): it must answer
/// exactly as a dictionary would across adds, removals, growth and the generation-stamped Clear, and enumerate its
/// live keys in insertion order.
/// </summary>
public class PageMapTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Answers_as_a_dictionary_through_adds_removes_growth_and_clears(int seed)
    {
        var random = new Random(seed);
        var map = new PageMap<int>();
        var model = new Dictionary<long, int>();
        var order = new List<long>();
        for (var step = 0; step < 20_000; step++)
        {
            // Few distinct keys so that removals and re-adds hit the same probe chains; some far apart to spread slots.
            var key = random.Next(4) == 0 ? random.NextInt64() : random.Next(300);
            switch (random.Next(100))
            {
                case < 45:
                    map[key] = step;
                    if (!model.ContainsKey(key))
                    {
                        order.Add(key);
                    }
                    model[key] = step;
                    break;
                case < 75:
                    Assert.Equal(model.Remove(key, out var expected), map.Remove(key, out var removed));
                    Assert.Equal(expected, removed);
                    order.Remove(key);
                    break;
                case < 99:
                    Assert.Equal(model.TryGetValue(key, out var want), map.TryGetValue(key, out var got));
                    Assert.Equal(want, got);
                    break;
                default:
                    map.Clear();
                    model.Clear();
                    order.Clear();
                    break;
            }
            Assert.Equal(model.Count, map.Count);
        }
        var keys = new List<long>();
        foreach (var k in map.Keys)
        {
            keys.Add(k);
        }
        Assert.Equal(order, keys);
    }

    [Fact]
    public void A_key_removed_while_enumerating_is_skipped_and_the_rest_still_come()
    {
        var map = new PageMap<string>();
        for (long k = 0; k < 100; k++)
        {
            map[k * 4096] = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var seen = new List<long>();
        foreach (var k in map.Keys)
        {
            seen.Add(k);
            map.Remove(k + 4096);
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i * 8192), seen);
        Assert.Equal(50, map.Count);
    }

    [Fact]
    public void By_reference_access_adds_once_and_writes_through()
    {
        var map = new PageMap<int>();
        map.GetValueRefOrAddDefault(7) += 3;
        map.GetValueRefOrAddDefault(7) += 4;

        Assert.Equal(1, map.Count);
        Assert.Equal(7, map[7]);
        Assert.True(System.Runtime.CompilerServices.Unsafe.IsNullRef(ref map.GetValueRefOrNullRef(8)));
        Assert.Throws<KeyNotFoundException>(() => map[8]);
    }
}
