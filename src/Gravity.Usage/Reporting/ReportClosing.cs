namespace Gravity.Usage;

/// <summary>A counter to close into a report.</summary>
/// <param name="Account">The account.</param>
/// <param name="Meter">The meter.</param>
/// <param name="BucketStart">The start of the bucket.</param>
/// <param name="SkipReason">Why the usage is not billed (the report is then skipped), or <see langword="null"/> to bill it.</param>
public readonly record struct ReportClosing(string Account, string Meter, DateTimeOffset BucketStart, string? SkipReason);
