namespace Gravity.Usage;

/// <summary>What became of an increment once <see cref="UsageMeter.IncrementAsync"/> completed.</summary>
public enum IncrementOutcome
{
    /// <summary>The increment was committed to the ledger and counts towards usage.</summary>
    Recorded = 0,

    /// <summary>
    /// The idempotency key was already recorded for this account and meter, so this increment was not counted again.
    /// </summary>
    Duplicate = 1,
}
