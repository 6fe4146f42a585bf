namespace Gravity.Usage;

/// <summary>What a reconciliation changed in the ledger.</summary>
public enum UsageReconciliationActionKind
{
    /// <summary>An unknown report Stripe has counted was marked sent.</summary>
    MarkedSent = 0,

    /// <summary>An unknown report Stripe provably lacks was replaced by a new pending report under a new identifier (the old one is cancelled).</summary>
    Resent = 1,

    /// <summary>A report Stripe rejected asynchronously was marked failed with Stripe's reason.</summary>
    MarkedFailed = 2,
}
