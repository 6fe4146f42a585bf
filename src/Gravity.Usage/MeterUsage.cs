namespace Gravity.Usage;

/// <summary>The usage of one meter over a period.</summary>
/// <param name="Meter">The meter's name.</param>
/// <param name="Quantity">Everything counted in the period.</param>
/// <param name="ReportedQuantity">The part of <paramref name="Quantity"/> already moved into usage reports.</param>
public sealed record MeterUsage(string Meter, long Quantity, long ReportedQuantity)
{
    /// <summary>Gets the part of <see cref="Quantity"/> not yet moved into usage reports.</summary>
    public long UnreportedQuantity => Quantity - ReportedQuantity;
}
