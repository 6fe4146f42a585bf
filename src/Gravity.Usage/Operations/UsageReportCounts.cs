namespace Gravity.Usage;

/// <summary>How many reports the outbox holds in each status.</summary>
public sealed record UsageReportCounts
{
    /// <summary>Gets how many reports wait to be delivered (or retried).</summary>
    public long Pending { get; init; }

    /// <summary>Gets how many reports the billing back end accepted.</summary>
    public long Sent { get; init; }

    /// <summary>Gets how many reports were refused for good and wait for a re-drive.</summary>
    public long Failed { get; init; }

    /// <summary>Gets how many reports of non-billable usage were skipped.</summary>
    public long Skipped { get; init; }

    /// <summary>Gets how many reports are parked with an unknown outcome, waiting for reconciliation.</summary>
    public long Unknown { get; init; }

    /// <summary>Gets how many reports corrections took back (cancelled at the billing back end, or never sent).</summary>
    public long Cancelled { get; init; }

    /// <summary>Gets how many amounts of corrections wait for the reporter to cancel the report they were billed in.</summary>
    public long Cancelling { get; init; }

    /// <summary>Gets how many amounts of corrections could not be cancelled and need a credit from the host.</summary>
    public long NeedsCredit { get; init; }

    /// <summary>Gets when the oldest pending report was closed, or <see langword="null"/> when none is pending.</summary>
    public DateTimeOffset? OldestPendingCreatedAt { get; init; }
}
