namespace Gravity.Usage;

/// <summary>
/// An <see cref="IUsageAccountResolver"/> that answers from the account mapping the report store keeps beside its
/// outbox. Given one, the reporter leaves the plan to the store: every <see cref="ReportClosing"/> it hands to
/// <see cref="IUsageReportStore.CloseAsync"/> carries <see cref="ReportClosing.ApplyStoredPlan"/>, and the store reads
/// the mapping inside its close transaction, so a plan change saved meanwhile is never overtaken.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="StoreAccountResolver"/> is the built-in one. The reporter trusts the declaration: it does not compare
/// <see cref="AccountStore"/> with its report store, so that a store wrapped by a decorator keeps the guarantee. Give
/// such a resolver only to a reporter whose report store is <see cref="AccountStore"/> (or wraps it), and only when
/// that store's <see cref="IUsageReportStore.CloseAsync"/> applies its stored plan.
/// </para>
/// <para>
/// With any other <see cref="IUsageAccountResolver"/>, the reporter resolves each account itself and sets
/// <see cref="ReportClosing.SkipReason"/>, the bucket end and the billing ids (<see cref="BillingPlan.ClosingUnder"/>).
/// </para>
/// </remarks>
public interface IStoredPlanAccountResolver : IUsageAccountResolver
{
    /// <summary>Gets the store whose account mapping this resolver reads, and whose close applies it.</summary>
    IUsageAccountStore AccountStore { get; }
}
