namespace Gravity.Usage;

/// <summary>The store's answer to <see cref="IUsageCorrectionStore.CorrectAsync"/>.</summary>
/// <param name="Outcome">What became of the correction.</param>
/// <param name="Correction">
/// The correction applied now or found under the key; <see langword="null"/> when refused
/// (<see cref="CorrectionOutcome.BelowZero"/>, <see cref="CorrectionOutcome.WouldOverflow"/>).
/// </param>
/// <param name="Available">The counter's quantity when refused as <see cref="CorrectionOutcome.BelowZero"/>; 0 otherwise.</param>
public sealed record CorrectionResult(CorrectionOutcome Outcome, UsageCorrection? Correction, long Available = 0);
