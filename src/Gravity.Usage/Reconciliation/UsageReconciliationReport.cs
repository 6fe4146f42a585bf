namespace Gravity.Usage;

/// <summary>What a reconciliation compared, found and changed.</summary>
public sealed record UsageReconciliationReport
{
    /// <summary>Gets the inclusive start of the period.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>Gets the exclusive end of the period.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>Gets the account reconciled, or <see langword="null"/> for every account.</summary>
    public string? Account { get; init; }

    /// <summary>Gets when the run judged the evidence.</summary>
    public required DateTimeOffset ReconciledAt { get; init; }

    /// <summary>Gets one row per account, meter and hour with usage on either side, in account, meter and hour order.</summary>
    public required IReadOnlyList<UsageReconciliationRow> Rows { get; init; }

    /// <summary>Gets the changes made, in the order they were made.</summary>
    public required IReadOnlyList<UsageReconciliationAction> Actions { get; init; }

    /// <summary>Gets problems that kept part of the period from being compared (a meter Stripe does not have, an account without a customer); empty when none.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>Gets the rows in <see cref="UsageReconciliationRowState.Drift"/>.</summary>
    public int DriftCount => Rows.Count(r => r.State == UsageReconciliationRowState.Drift);

    /// <summary>Gets the rows left with unknown reports (ambiguous or unsettled).</summary>
    public int UnresolvedCount => Rows.Count(r => r.State is UsageReconciliationRowState.Ambiguous or UsageReconciliationRowState.Unsettled && r.UnknownReportIds.Count > 0);

    /// <summary>Gets whether the period is clean: no drift, no unknown report left unresolved and no problem.</summary>
    public bool IsClean => DriftCount == 0 && UnresolvedCount == 0 && Problems.Count == 0;
}
