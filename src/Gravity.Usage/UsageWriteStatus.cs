namespace Gravity.Usage;

/// <summary>What an <see cref="IUsageStore"/> did with one increment of a batch.</summary>
/// <remarks>
/// This is the provider's answer, not the caller's: the meter turns <see cref="Recorded"/> and <see cref="Duplicate"/>
/// into the <see cref="IncrementOutcome"/> of the same name and value, and the other two into exceptions
/// (<see cref="UsageInputException"/> for an overflow, <see cref="UsageIdempotencyConflictException"/>), so a caller
/// never has to handle them as values. The two enums stay apart so that a state a store may add never reaches callers.
/// </remarks>
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
