namespace Gravity.Usage;

/// <summary>How <see cref="UsageReporter"/> closes and delivers usage reports.</summary>
/// <remarks>Validated when the application starts (or when the reporter is created); every failure is listed.</remarks>
public sealed class UsageReportingOptions
{
    /// <summary>Stripe accepts meter events whose timestamp lies at most 35 days in the past.</summary>
    public static readonly TimeSpan StripeMaxEventAge = TimeSpan.FromDays(35);

    /// <summary>Gets or sets whether a scheduled run also closes the bucket still in progress.</summary>
    /// <value>
    /// The default value is <see langword="false"/>: a run reports buckets that have ended, so each account, meter and
    /// bucket normally costs one Stripe call. <see cref="IUsageReporter.ReportAccountAsync"/> always includes it.
    /// </value>
    public bool IncludeOpenBuckets { get; set; }

    /// <summary>Gets or sets how many counters are closed per transaction.</summary>
    /// <value>The default value is 500. Between 1 and 10,000.</value>
    public int CloseSliceSize { get; set; } = 500;

    /// <summary>Gets or sets how many due reports one claim takes.</summary>
    /// <value>The default value is 200. Between 1 and 10,000.</value>
    public int DeliveryBatchSize { get; set; } = 200;

    /// <summary>Gets or sets how many deliveries run at once.</summary>
    /// <value>The default value is 16. Between 1 and 256.</value>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>Gets or sets how long a claimed report stays with its reporter; a crashed reporter's reports are claimed again after it.</summary>
    /// <value>The default value is 5 minutes. At least 30 seconds, and longer than one delivery with all its retries.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how long after its first attempt a report whose outcome is unknown may still be resent. Stripe
    /// de-duplicates identifiers and idempotency keys for about 24 hours only, so past this window resending could bill
    /// twice: the report is parked as <see cref="UsageReportStatus.Unknown"/> instead.
    /// </summary>
    /// <value>The default value is 20 hours. Between 1 and 23 hours.</value>
    public TimeSpan SafeResendWindow { get; set; } = TimeSpan.FromHours(20);

    /// <summary>Gets or sets the wait before the first retry of a report after a transient failure; it doubles with each attempt.</summary>
    /// <value>The default value is 30 seconds. At least 1 second.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the longest wait between retries of a report.</summary>
    /// <value>The default value is 1 hour. At least <see cref="RetryBaseDelay"/>.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);
}
