namespace Gravity.Usage;

/// <summary>A counter that holds usage not yet moved into a report.</summary>
/// <param name="Account">The account.</param>
/// <param name="Meter">The meter.</param>
/// <param name="BucketStart">The start of the bucket.</param>
public readonly record struct UnreportedUsage(string Account, string Meter, DateTimeOffset BucketStart);
