namespace Gravity.Usage;

/// <summary>
/// An <see cref="IUsageAccountResolver"/> that answers from the account mapping a store keeps beside its report
/// outbox. When <see cref="AccountStore"/> is the very store the reporter closes into, the reporter leaves the plan to
/// that store: every <see cref="ReportClosing"/> it hands to <see cref="IUsageReportStore.CloseAsync"/> carries
/// <see cref="ReportClosing.ApplyStoredPlan"/>, and the store reads the mapping inside its close transaction, so a
/// plan change saved meanwhile is never overtaken.
/// </summary>
/// <remarks>
/// <see cref="StoreAccountResolver"/> is the built-in one. A store whose <see cref="IUsageReportStore.CloseAsync"/>
/// does not apply its stored plan must not be given such a resolver over itself: use any other
/// <see cref="IUsageAccountResolver"/>, and the reporter resolves each account and sets
/// <see cref="ReportClosing.SkipReason"/>, the bucket end and the billing ids itself (<see cref="BillingPlan.ClosingUnder"/>).
/// </remarks>
public interface IStoredPlanAccountResolver : IUsageAccountResolver
{
    /// <summary>Gets the store whose account mapping this resolver reads, and whose close applies it.</summary>
    IUsageAccountStore AccountStore { get; }
}
