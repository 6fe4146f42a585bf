namespace Gravity.Usage;

/// <summary>Shortcuts for <see cref="IUsageReconciler"/>.</summary>
public static class UsageReconcilerExtensions
{
    /// <summary>Reconciles one billing period: the hours in [<see cref="BillingPeriod.Start"/>, <see cref="BillingPeriod.End"/>).</summary>
    /// <param name="reconciler">The reconciler.</param>
    /// <param name="period">The period; both bounds whole UTC hours (Stripe's periods start at the subscription's anchor, often a whole hour; otherwise pass the hours around it).</param>
    /// <param name="account">Only this account, or every account when <see langword="null"/>.</param>
    /// <param name="progress">Told how far a long run is; optional.</param>
    /// <param name="cancellationToken">Cancels the run between steps.</param>
    /// <returns>The drift report.</returns>
    /// <exception cref="UsageInputException">The period's bounds are not whole hours, or the account breaks the account rule.</exception>
    public static Task<UsageReconciliationReport> ReconcileAsync(
        this IUsageReconciler reconciler,
        BillingPeriod period,
        string? account = null,
        IProgress<UsageReconciliationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reconciler);
        return reconciler.ReconcileAsync(period.Start, period.End, account, progress, cancellationToken);
    }
}
