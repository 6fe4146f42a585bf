namespace Gravity.Usage;

/// <summary>One change a reconciliation made to a report.</summary>
public sealed record UsageReconciliationAction
{
    /// <summary>Gets what was done.</summary>
    public required UsageReconciliationActionKind Kind { get; init; }

    /// <summary>Gets the report's id.</summary>
    public required long ReportId { get; init; }

    /// <summary>Gets the report's identifier.</summary>
    public required string Identifier { get; init; }

    /// <summary>Gets the account.</summary>
    public required string Account { get; init; }

    /// <summary>Gets the meter.</summary>
    public required string Meter { get; init; }

    /// <summary>Gets the report's quantity.</summary>
    public required long Quantity { get; init; }

    /// <summary>Gets the id of the new pending report (<see cref="UsageReconciliationActionKind.Resent"/>), or <see langword="null"/>.</summary>
    public long? NewReportId { get; init; }

    /// <summary>Gets the identifier of the new pending report (<see cref="UsageReconciliationActionKind.Resent"/>), or <see langword="null"/>.</summary>
    public string? NewIdentifier { get; init; }

    /// <summary>Gets why: the evidence, or Stripe's reason for a rejection.</summary>
    public required string Reason { get; init; }
}
