using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage.Hosting;

/// <summary>
/// Runs <see cref="IUsageReporter.ReportAsync"/> when the host starts and then on a fixed interval. A failed run is
/// logged and the next one runs on schedule; stopping the host ends the run in progress, whose reports stay pending.
/// </summary>
internal sealed partial class UsageReportingService(
    IUsageReporter reporter,
    UsageReportingSchedule schedule,
    TimeProvider timeProvider,
    ILogger<UsageReportingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(schedule.Interval, timeProvider);
        try
        {
            do
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogStopped(logger);
        }
    }

    private async Task RunOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            var run = await reporter.ReportAsync(stoppingToken).ConfigureAwait(false);
            LogRun(logger, run.Sent, run.Failed + run.Unknown);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The schedule must survive a failed run; the next run retries.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRunFailed(logger, ex, schedule.Interval);
        }
    }

    // Debug: the reporter itself logs each run that did something at Information; one line per run is enough.
    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Scheduled usage report run finished: {Sent} sent, {Parked} parked.")]
    private static partial void LogRun(ILogger logger, int sent, int parked);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "Scheduled usage report run failed; the next run starts in {Interval}.")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Scheduled usage reporting stopped.")]
    private static partial void LogStopped(ILogger logger);
}
