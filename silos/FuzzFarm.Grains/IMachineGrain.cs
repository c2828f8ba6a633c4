using FuzzFarm.Grains.Contracts;

namespace FuzzFarm.Grains;

/// <summary>One simulated machine and its fuzz loop, keyed <c>campaign/index</c> (see <see cref="MachineKey"/>).</summary>
[Alias("FuzzFarm.IMachineGrain")]
public interface IMachineGrain : IGrainWithStringKey
{
    /// <summary>Idempotent: starts the fuzz loop if it is not running, and reports the machine's counters.</summary>
    [Alias("EnsureRunning")]
    Task<MachineStatus> EnsureRunningAsync(string profile, ulong seed);

    /// <summary>Stops fuzzing. The machine stays active until every report it holds is stored.</summary>
    [Alias("Stop")]
    Task<MachineStatus> StopAsync();

    [Alias("GetStatus")]
    Task<MachineStatus> GetStatusAsync();

    /// <summary>Restarts a fuzzing machine on <paramref name="target"/> once idle; a stopped machine stays where it is.</summary>
    [Alias("MoveTo")]
    Task MoveToAsync(SiloAddress target);
}
