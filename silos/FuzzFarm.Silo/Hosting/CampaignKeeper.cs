using FuzzFarm.Grains;
using FuzzFarm.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Silo.Hosting;

/// <summary>
/// Every silo, every few seconds, pokes each campaign PostgreSQL says is running. A campaign grain lost with its silo
/// is thereby re-activated on a live one, which reads its state back from the store and resumes its machines.
/// While PostgreSQL is down the last known list is kept.
/// </summary>
internal sealed partial class CampaignKeeper(IGrainFactory grains, FarmDatabase database, ILogger<CampaignKeeper> log) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan CallBudget = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IReadOnlyList<string> running = [];
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                using var budget = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                budget.CancelAfter(CallBudget);
                running = (await database.Campaigns.ListAsync(budget.Token))
                    .Where(c => c.Status == CampaignGrain.RunningStatus).Select(c => c.Name).ToList();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogListFailed(log, e.Message);
            }
            foreach (var name in running)
            {
                try
                {
                    await grains.GetGrain<ICampaignGrain>(name).KeepAliveAsync().WaitAsync(CallBudget, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogKeepAliveFailed(log, name, e.Message);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "campaign list unavailable, keeping the last one: {Reason}")]
    private static partial void LogListFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "campaign {Campaign} did not answer its keep-alive: {Reason}")]
    private static partial void LogKeepAliveFailed(ILogger logger, string campaign, string reason);
}
