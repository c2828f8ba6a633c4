using System.Diagnostics;

namespace FuzzFarm.Farm.Tests;

/// <summary>Polls a condition once a second until it holds; on timeout, fails with the silos' last output.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<IEnumerable<string>> context)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"condition not met in {timeout}; last output:\n{string.Join('\n', context().TakeLast(60))}");
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
