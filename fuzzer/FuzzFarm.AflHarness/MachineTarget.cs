using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;

namespace FuzzFarm.AflHarness;

/// <summary>
/// The byte-level baseline's target: decode the input, run it on the simulated machine under one profile, and crash
/// (throw) on any violation or machine exception. With a <see cref="Signature"/> it measures one scenario: only that
/// signature crashes, and nothing else (other violations, machine exceptions) ends the measurement.
/// </summary>
internal sealed class MachineTarget(KernelProfile profile, string? signature)
{
    private readonly Executor _executor = new(new ExecutionOptions { Observations = false, Skips = false, ReuseResult = true });

    public KernelProfile Profile => profile;

    public string? Signature => signature;

    /// <summary>The first violation that counts, or null.</summary>
    public Violation? Execute(Program program)
    {
        foreach (var v in _executor.Run(program, profile).Violations)
        {
            if (signature is null || v.Signature == signature)
            {
                return v;
            }
        }
        return null;
    }

    public void Run(byte[] input)
    {
        var program = ByteProgramDecoder.Decode(input);
        Violation? violation;
        try
        {
            violation = Execute(program);
        }
        catch (Exception) when (signature is not null)
        {
            return;
        }
        if (violation is not null)
        {
            throw new ViolationFoundException(profile.Name, violation, program);
        }
    }
}
