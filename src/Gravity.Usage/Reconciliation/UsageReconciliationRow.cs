namespace Gravity.Usage;

/// <summary>One account, meter and hour of a reconciliation: the ledger's total against Stripe's.</summary>
/// <remarks>
/// Totals follow the meter's aggregation: a sum for <see cref="MeterKind.Sum"/> meters; for gauges (Stripe <c>last</c>
/// meters) the latest value of the hour. The ledger's total counts sent reports only: cancelled and failed reports
/// count 0 (Stripe does not count them), and unknown ones are shown apart in <see cref="UnknownTotal"/>.
/// </remarks>
public sealed record UsageReconciliationRow
{
    /// <summary>Gets the account (several, comma-separated, when they share one Stripe customer).</summary>
    public required string Account { get; init; }

    /// <summary>Gets the Stripe customer asked, or <see langword="null"/> when the account has none.</summary>
    public string? StripeCustomerId { get; init; }

    /// <summary>Gets the meter.</summary>
    public required string Meter { get; init; }

    /// <summary>Gets the start of the hour (UTC).</summary>
    public required DateTimeOffset Hour { get; init; }

    /// <summary>Gets what the ledger says Stripe should count for the hour, before this run's changes.</summary>
    public required long LocalTotal { get; init; }

    /// <summary>Gets the total of the hour's unknown reports (for a gauge, the latest unknown value), before this run's changes.</summary>
    public long UnknownTotal { get; init; }

    /// <summary>Gets what Stripe's meter event summary says for the hour.</summary>
    public required decimal StripeTotal { get; init; }

    /// <summary>Gets <see cref="StripeTotal"/> less <see cref="LocalTotal"/>: positive when Stripe counts more than the ledger says it sent.</summary>
    public decimal Difference => StripeTotal - LocalTotal;

    /// <summary>Gets what was found.</summary>
    public required UsageReconciliationRowState State { get; init; }

    /// <summary>Gets the ids of the reports of the hour that Stripe can count (sent, unknown, attempted, failed or cancelled ones).</summary>
    public required IReadOnlyList<long> ReportIds { get; init; }

    /// <summary>Gets the ids of the hour's unknown reports.</summary>
    public IReadOnlyList<long> UnknownReportIds { get; init; } = [];

    /// <summary>Gets an explanation of the state, or <see langword="null"/> for a plain match.</summary>
    public string? Note { get; init; }
}
