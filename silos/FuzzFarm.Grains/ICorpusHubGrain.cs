using FuzzFarm.Grains.Contracts;

namespace FuzzFarm.Grains;

/// <summary>The campaign-wide corpus (syz-hub's role), keyed by campaign; persisted so a restarted campaign resumes.</summary>
[Alias("FuzzFarm.ICorpusHubGrain")]
public interface ICorpusHubGrain : IGrainWithStringKey
{
    /// <summary>
    /// Offers programs that reached new coverage on some machine; the hub keeps those that reach a feature its corpus
    /// does not, and returns how many it kept.
    /// </summary>
    [Alias("Push")]
    Task<int> PushAsync(IReadOnlyList<CorpusProgram> programs);

    /// <summary>
    /// Entries from <paramref name="cursor"/> on, at most a bounded number per call. A cursor from another
    /// <paramref name="epoch"/> (the hub was re-activated since) starts again from the beginning.
    /// </summary>
    [Alias("Pull")]
    Task<CorpusSlice> PullAsync(Guid epoch, int cursor);

    [Alias("GetStatus")]
    Task<HubStatus> GetStatusAsync();

    /// <summary>
    /// The campaign stopped: write what is pending, then deactivate, so the next start reloads the corpus from
    /// PostgreSQL like any resumed campaign. While the store is down the hub stays and keeps retrying.
    /// </summary>
    [Alias("Close")]
    Task CloseAsync();
}
