namespace Gravity.Usage;

/// <summary>A <see cref="MeterKind.LastEver"/> gauge of an account, whose value is sent again at the start of each billing period.</summary>
/// <param name="Account">The account.</param>
/// <param name="Meter">The meter.</param>
/// <param name="LastReportedAt">The timestamp of the meter's latest report, or <see langword="null"/> when it has none.</param>
public readonly record struct CarriedGauge(string Account, string Meter, DateTimeOffset? LastReportedAt);
