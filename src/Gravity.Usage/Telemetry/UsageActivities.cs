using System.Diagnostics;

namespace Gravity.Usage.Telemetry;

/// <summary>The one <see cref="ActivitySource"/> of the library, and the names of its spans.</summary>
/// <remarks>
/// An <see cref="ActivitySource"/> has no factory to scope it per container (unlike a meter), so it is static;
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns <see langword="null"/> and costs next to
/// nothing while nobody listens.
/// </remarks>
internal static class UsageActivities
{
    /// <summary>One reporting run: close counters into reports, then deliver the due ones.</summary>
    public const string ReportRun = "usage.report_run";

    /// <summary>One claimed batch of reports being delivered and its outcomes recorded.</summary>
    public const string DeliveryBatch = "usage.delivery_batch";

    /// <summary>One call to Stripe through Stripe.net (its own retries included).</summary>
    public const string StripeRequest = "usage.stripe_request";

    /// <summary>One group commit of queued increments to the store.</summary>
    public const string GroupCommit = "usage.group_commit";

    public static ActivitySource Source { get; } = new(UsageTelemetry.ActivitySourceName, UsageInstruments.Version);
}
