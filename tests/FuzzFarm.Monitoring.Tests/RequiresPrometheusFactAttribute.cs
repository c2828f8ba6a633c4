using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>A fact that needs Prometheus and promtool (apt-get install prometheus; .ci/run installs them): skipped, saying so, without them.</summary>
public sealed class RequiresPrometheusFactAttribute : FactAttribute
{
    public RequiresPrometheusFactAttribute()
    {
        if (!PrometheusInstance.Installed)
        {
            Skip = "Prometheus is not installed (prometheus and promtool not on PATH): apt-get install prometheus";
        }
    }
}
