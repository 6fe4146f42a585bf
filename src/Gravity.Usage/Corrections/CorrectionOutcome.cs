namespace Gravity.Usage;

/// <summary>What became of a correction in the store (<see cref="CorrectionResult.Outcome"/>).</summary>
public enum CorrectionOutcome
{
    /// <summary>Applied now.</summary>
    Applied,

    /// <summary>Made before under the same key; nothing applied.</summary>
    Repeat,

    /// <summary>Refused: the counter would go below zero. Nothing written.</summary>
    BelowZero,

    /// <summary>Refused: the counter would exceed <see cref="UsageBillingOptions.MaxCounterQuantity"/>. Nothing written.</summary>
    WouldOverflow,
}
