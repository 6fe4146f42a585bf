using System.Diagnostics;

namespace Gravity.Usage.Telemetry;

/// <summary>Records what one reporting run did on the <c>gravity.usage.reports</c> counter and its span.</summary>
internal static class ReportRunTelemetry
{
    public static void Record(UsageInstruments instruments, Activity? activity, ReportRun run, DateTimeOffset? oldestClaimedAt, DateTimeOffset now)
    {
        Add(instruments, UsageTags.Closed, run.Closed);
        Add(instruments, UsageTags.Skipped, run.Skipped);
        Add(instruments, UsageTags.Sent, run.Sent);
        Add(instruments, UsageTags.Retried, run.WaitingForRetry);
        Add(instruments, UsageTags.Failed, run.Failed);
        Add(instruments, UsageTags.Unknown, run.Unknown);
        Add(instruments, UsageTags.Cancelled, run.Cancelled);
        Add(instruments, UsageTags.NeedsCredit, run.NeedsCredit);
        if (oldestClaimedAt is { } oldest)
        {
            // A store query per scrape would be needed for a live gauge; what the run claimed is known for free.
            instruments.OldestClaimedAge.Record(Math.Max((now - oldest).TotalSeconds, 0));
        }

        if (activity is not null)
        {
            activity.SetTag(UsageTags.RunClosed, run.Closed);
            activity.SetTag(UsageTags.RunSkipped, run.Skipped);
            activity.SetTag(UsageTags.RunSent, run.Sent);
            activity.SetTag(UsageTags.RunRetried, run.WaitingForRetry);
            activity.SetTag(UsageTags.RunFailed, run.Failed);
            activity.SetTag(UsageTags.RunUnknown, run.Unknown);
            activity.SetTag(UsageTags.RunCancelled, run.Cancelled);
            activity.SetTag(UsageTags.RunNeedsCredit, run.NeedsCredit);
        }
    }

    private static void Add(UsageInstruments instruments, string status, int count)
    {
        // A run that did nothing of a kind adds nothing, so an idle reporter does not emit zero series.
        if (count > 0)
        {
            instruments.Reports.Add(count, new KeyValuePair<string, object?>(UsageTags.ReportStatus, status));
        }
    }
}
