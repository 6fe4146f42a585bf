namespace Gravity.Usage;

/// <summary>What an <see cref="IUsageStore"/> did with one increment of a batch.</summary>
public enum UsageWriteStatus
{
    /// <summary>The increment was added to its counter.</summary>
    Recorded = 0,

    /// <summary>The increment's idempotency key was already stored; nothing was added.</summary>
    Duplicate = 1,

    /// <summary>
    /// Adding the increment would have taken its counter past <see cref="UsageBillingOptions.MaxCounterQuantity"/>; nothing was added and its
    /// idempotency key was not stored.
    /// </summary>
    WouldOverflow = 2,

    /// <summary>
    /// The increment's idempotency key was already stored with a different fingerprint (another call reused the key);
    /// nothing was added and the stored key was left as it was.
    /// </summary>
    Conflict = 3,
}
