using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;

namespace FuzzFarm.Export.Real;

/// <summary>The simulated machine's side of a differential run: one execution under the profile matching the kernel.</summary>
public static class MachinePredictor
{
    public static Prediction Predict(Program program, KernelProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var result = new Executor().Run(program, profile);
        return new Prediction(
            profile.Name,
            [.. result.Observations.Select(o => (o.Line, o.Thread, o.Op, o.Values))],
            [.. result.Violations.Select(v => (v.Line, v.Thread, v.KindName, v.Signature))]);
    }
}
