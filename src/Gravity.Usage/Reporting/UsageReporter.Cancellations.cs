using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage;

/// <summary>The run's cancellation phase: corrections of usage the billing back end already has.</summary>
public sealed partial class UsageReporter
{
    /// <summary>
    /// How long after it first tried to deliver a report the reporter still asks the back end to cancel it. Stripe
    /// cancels events it received in the last 24 hours; an hour is kept as a margin for clock skew and slow requests.
    /// The window is measured from the report's first delivery attempt, the earliest Stripe can have received it (from
    /// its creation once it was re-driven, since an earlier attempt may have reached Stripe).
    /// </summary>
    internal static readonly TimeSpan CancellationWindow = TimeSpan.FromHours(23);

    /// <summary>
    /// How long the back end replays the answer of a cancellation under its idempotency key (Stripe keeps keys at
    /// least 24 hours), measured from the first claim of the cancellation, before which the key cannot have been used.
    /// </summary>
    internal static readonly TimeSpan CancellationReplayWindow = TimeSpan.FromHours(24);

    /// <summary>
    /// Resolves corrections of sent reports before anything is delivered, so that a remainder is never sent before the
    /// event it replaces is cancelled: each sent report with corrections waiting is cancelled at the back end (inside
    /// the window) and its remainder closed as a new pending report, or the corrections' amounts are parked as needing
    /// a credit (outside the window, or when the back end refuses for good). Transient failures are asked again later.
    /// </summary>
    private async Task CancelForCorrectionsAsync(string? account, RunTally tally, CancellationToken cancellationToken)
    {
        if (_store is not IUsageCorrectionStore corrections)
        {
            return;
        }

        var owner = Guid.NewGuid().ToString("N");
        var accounts = new ConcurrentDictionary<string, Task<UsageAccount?>>(StringComparer.Ordinal);
        while (true)
        {
            var now = _timeProvider.GetUtcNow();
            var claimed = await corrections.ClaimCancellationsAsync(
                new ReportClaim(owner, now, now + _options.LeaseDuration, _options.DeliveryBatchSize, account),
                cancellationToken).ConfigureAwait(false);
            if (claimed.Count == 0)
            {
                return;
            }

            // One cancellation per sent report, however many corrections wait on it.
            foreach (var waiting in claimed.GroupBy(c => c.Target.Id))
            {
                var target = waiting.First().Target;
                await ResolveCancellationAsync(corrections, target, waiting.Select(c => c.Correction).ToList(), owner, accounts, tally, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ResolveCancellationAsync(
        IUsageCorrectionStore corrections,
        UsageReport target,
        List<UsageReport> waiting,
        string owner,
        ConcurrentDictionary<string, Task<UsageAccount?>> accounts,
        RunTally tally,
        CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        var receivedAtTheEarliest = target.RedriveCount == 0 ? target.FirstAttemptAt ?? target.CreatedAt : target.CreatedAt;

        // A cancellation asked before may have landed with its answer lost. Past the window only the back end's replay
        // under the same idempotency key can tell: parking a credit then would credit usage already dropped and never
        // bill the remainder. So it is asked once more while the replay lasts; a refusal still parks the credit.
        var askedBefore = waiting.Any(r => r.Attempts > 1 && r.FirstAttemptAt is { } first && now - first < CancellationReplayWindow);
        if (now - receivedAtTheEarliest >= CancellationWindow && !askedBefore)
        {
            await ParkAsCreditAsync(
                corrections,
                waiting,
                owner,
                string.Create(CultureInfo.InvariantCulture, $"Report {target.Identifier} may have reached Stripe as early as {receivedAtTheEarliest:O}, more than {CancellationWindow.TotalHours:0} hours ago: past Stripe's 24-hour cancellation window (less a safety margin). Credit this amount."),
                null,
                tally).ConfigureAwait(false);
            return;
        }

        DeliveryResult result;
        if (await ResolveAsync(target, accounts, cancellationToken).ConfigureAwait(false) is not { } billing)
        {
            result = DeliveryResult.Transient("The account's billing ids could not be resolved; see the log.");
        }
        else
        {
            try
            {
                result = await _sink.CancelAsync(new UsageDelivery(target, EventName(target.Meter), billing), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A sink's unexpected error is a transient failure of this cancellation, not of the run.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogSinkError(_logger, ex, target.Identifier);
                result = DeliveryResult.Transient($"{ex.GetType().Name}: {ex.Message}");
            }
        }

        switch (result.Outcome)
        {
            case DeliveryOutcome.Delivered:
                // Recorded whatever the caller's token says: the back end has cancelled the event.
                var rest = await corrections.CompleteCancellationAsync(target, _timeProvider.GetUtcNow(), result.RequestId, CancellationToken.None).ConfigureAwait(false);
                tally.CancelledForCorrection();
                if (rest is not null)
                {
                    tally.Closed([rest]);
                }

                LogCancelledForCorrection(_logger, target.Identifier, target.Account, target.Meter, rest?.Identifier, rest?.Quantity ?? 0);
                return;
            case DeliveryOutcome.Permanent:
                await ParkAsCreditAsync(
                    corrections,
                    waiting,
                    owner,
                    $"The billing back end did not cancel report {target.Identifier} ({result.Error ?? "refused"}). Credit this amount.",
                    result.RequestId,
                    tally).ConfigureAwait(false);
                return;
            default:
                // Asked again later; once past the window, the amount is parked as needing a credit instead.
                var retryAt = _timeProvider.GetUtcNow();
                var retries = waiting.Select(r => new ReportCompletion(r.Id, owner, UsageReportStatus.Cancelling, retryAt)
                {
                    Error = $"Cancelling report {target.Identifier} failed transiently: {result.Error}",
                    RequestId = result.RequestId,
                    NextAttemptAt = retryAt + RetryDelay(r.Attempts, result.RetryAfter),
                }).ToList();
                var applied = await corrections.CompleteCorrectionReportsAsync(retries, CancellationToken.None).ConfigureAwait(false);
                for (var i = 0; i < retries.Count; i++)
                {
                    if (applied[i])
                    {
                        tally.WaitingForRetry();
                        LogRetry(_logger, waiting[i].Identifier, waiting[i].Attempts, retries[i].NextAttemptAt!.Value, retries[i].Error);
                    }
                }

                return;
        }
    }

    /// <summary>Parks the corrections' amounts as needing a credit: counted in the run and logged once each.</summary>
    private async Task ParkAsCreditAsync(IUsageCorrectionStore corrections, List<UsageReport> waiting, string owner, string reason, string? requestId, RunTally tally)
    {
        var now = _timeProvider.GetUtcNow();
        var credits = waiting.Select(r => new ReportCompletion(r.Id, owner, UsageReportStatus.NeedsCredit, now) { Error = reason, RequestId = requestId }).ToList();
        var applied = await corrections.CompleteCorrectionReportsAsync(credits, CancellationToken.None).ConfigureAwait(false);
        for (var i = 0; i < credits.Count; i++)
        {
            if (!applied[i])
            {
                continue; // Another reporter resolved it meanwhile.
            }

            var report = waiting[i];
            tally.Parked(report with { Status = UsageReportStatus.NeedsCredit, LastError = reason, LastRequestId = requestId ?? report.LastRequestId });
            LogParked(_logger, report.Identifier, report.Account, report.Meter, UsageReportStatus.NeedsCredit, reason);
        }
    }

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Usage report {Identifier} of account {Account}, meter {Meter} was cancelled at the billing back end for a correction; the rest ({Quantity}) is sent again as report {Remainder}.")]
    private static partial void LogCancelledForCorrection(ILogger logger, string identifier, string account, string meter, string? remainder, long quantity);
}
