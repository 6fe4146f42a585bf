using Gravity.Usage.Internal;

namespace Gravity.Usage;

/// <summary>The checks a store applies to what reaches it from any caller, not only from the meter.</summary>
public static partial class UsageInput
{
    /// <summary>
    /// Checks an account mapping before a store saves it (<see cref="IUsageAccountStore.SaveAccountAsync"/>): the
    /// account, its Stripe customer id and its subscription items (meter names and item ids) each follow the identifier rule.
    /// </summary>
    /// <param name="account">The mapping.</param>
    /// <returns>The error, whose <see cref="ArgumentException.ParamName"/> is <c>account</c>, or <see langword="null"/>.</returns>
    public static UsageInputException? CheckAccountMapping(UsageAccount? account) =>
        UsageRules.CheckAccountMapping(account, nameof(account));

    /// <summary>
    /// Checks a batch before a store writes it (<see cref="IUsageStore.WriteAsync"/>): every increment's account, meter
    /// and key follow the identifier rule, its quantity is 1 to <see cref="UsageBillingOptions.MaxCounterQuantity"/>
    /// (a gauge reading 0 or more), and the parts of a multi-meter call are well formed. The meter checks the same; a
    /// store checks again because it may be called directly, and a value it cannot keep must be refused before its
    /// transaction starts.
    /// </summary>
    /// <param name="increments">The batch.</param>
    /// <returns>
    /// The error for the first bad increment (its message names the increment's index and the rule), whose
    /// <see cref="ArgumentException.ParamName"/> is <c>increments</c>, or <see langword="null"/>.
    /// </returns>
    public static UsageInputException? CheckIncrements(IReadOnlyList<UsageIncrement>? increments)
    {
        if (increments is null)
        {
            return new UsageInputException("A batch of increments is required; it is null.", nameof(increments));
        }

        return UsageRules.DescribeInvalidIncrement(increments) is { } problem ? new UsageInputException(problem, nameof(increments)) : null;
    }

    /// <summary>
    /// Checks a report identifier handed to a store (<see cref="IUsageReconciliationStore.ResendUnknownAsync"/>): 1 to
    /// 100 characters (Stripe's limit) of the identifier rule. Identifiers made by <see cref="ReportIdentifier"/> always pass.
    /// </summary>
    /// <param name="identifier">The identifier.</param>
    /// <param name="paramName">The name of the argument that carried it, reported as <see cref="ArgumentException.ParamName"/>.</param>
    /// <returns>The error, or <see langword="null"/>.</returns>
    public static UsageInputException? CheckReportIdentifier(string? identifier, string paramName) =>
        UsageRules.CheckIdentifier(identifier, paramName, "A report identifier", 100);
}
