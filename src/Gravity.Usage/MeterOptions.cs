namespace Gravity.Usage;

/// <summary>How one meter is billed.</summary>
public sealed class MeterOptions
{
    /// <summary>Gets or sets the Stripe meter's <c>event_name</c> that this meter's usage is reported under.</summary>
    /// <value>The default value is <see langword="null"/>: the meter's own name is used. At most 100 characters.</value>
    public string? StripeEventName { get; set; }

    /// <summary>Gets or sets what the meter counts: a sum (<see cref="UsageMeter.IncrementAsync"/>) or a gauge (<see cref="UsageMeter.SetAsync"/>).</summary>
    /// <value>
    /// The default value is <see cref="MeterKind.Sum"/>. In configuration, the name: <c>"Sum"</c>, <c>"Last"</c>,
    /// <c>"Max"</c> or <c>"LastEver"</c>. The Stripe meter's aggregation must match (see the README).
    /// </value>
    public MeterKind Kind { get; set; } = MeterKind.Sum;
}
