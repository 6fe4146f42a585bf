using Microsoft.Extensions.Logging;

namespace Gravity.Usage;

/// <summary>Tells the host, once per bucket, that usage is waiting for its bucket to close.</summary>
public sealed partial class UsageReporter
{
    /// <summary>The most open counters counted for the notice; past it the notice says "at least".</summary>
    private const int WaitingCountLimit = 10_000;

    /// <summary>The end of the bucket the last notice was about (UTC ticks), so each bucket is announced once.</summary>
    private long _waitingNoticeFor;

    /// <summary>
    /// On scheduled runs that leave the bucket in progress open, says once per bucket how much usage waits for it to
    /// close and when it will be reported: otherwise a new host sees "nothing sent" for up to an hour and wonders why.
    /// </summary>
    private async Task NoticeWaitingUsageAsync(CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        var bucketTicks = _billing.BucketSize.Ticks;
        var openBucketStart = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % bucketTicks), TimeSpan.Zero);
        var openBucketEnd = openBucketStart + _billing.BucketSize;
        if (!_logger.IsEnabled(LogLevel.Information) || Interlocked.Read(ref _waitingNoticeFor) == openBucketEnd.UtcTicks)
        {
            return;
        }

        var unreported = await _store.GetUnreportedAsync(now + UsageBillingOptions.MaxFutureSkew + _billing.BucketSize, account: null, WaitingCountLimit, cancellationToken).ConfigureAwait(false);
        var waiting = unreported.Count(u => u.BucketStart >= openBucketStart);
        if (waiting == 0 || Interlocked.Exchange(ref _waitingNoticeFor, openBucketEnd.UtcTicks) == openBucketEnd.UtcTicks)
        {
            return;
        }

        LogWaitingForBucket(_logger, unreported.Count == WaitingCountLimit ? $"at least {waiting}" : $"{waiting}", openBucketEnd);
    }

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Usage of {Counters} account/meter counters is in the bucket still in progress; it is reported by the first run after the bucket closes at {BucketEnd:O} (UsageReportingOptions.IncludeOpenBuckets is off). IUsageReporter.ReportAccountAsync reports an account's open bucket at once.")]
    private static partial void LogWaitingForBucket(ILogger logger, string counters, DateTimeOffset bucketEnd);
}
