namespace Gravity.Usage;

/// <summary>What a reconciliation found for one account, meter and hour.</summary>
public enum UsageReconciliationRowState
{
    /// <summary>Stripe counts what the ledger sent.</summary>
    Matched = 0,

    /// <summary>Unknown reports of the hour were settled from the evidence: marked sent, or made pending under a new identifier.</summary>
    Resolved = 1,

    /// <summary>Stripe's total differs from the ledger's and nothing in the ledger explains it: look into it.</summary>
    Drift = 2,

    /// <summary>
    /// Several unknown reports share the hour and more than one combination of them explains Stripe's total: nothing
    /// was resolved (money is never guessed); re-drive or cancel them by hand.
    /// </summary>
    Ambiguous = 3,

    /// <summary>
    /// Too recent to judge: a report of the hour was delivered or attempted within the settle time
    /// (<see cref="UsageReconciliationOptions.SettleTime"/>), or is still being delivered. Run again later.
    /// </summary>
    Unsettled = 4,
}
