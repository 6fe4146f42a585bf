namespace Gravity.Usage;

/// <summary>How one meter is billed.</summary>
public sealed class MeterOptions
{
    /// <summary>Gets or sets the Stripe meter's <c>event_name</c> that this meter's usage is reported under.</summary>
    /// <value>The default value is <see langword="null"/>: the meter's own name is used. At most 100 characters.</value>
    public string? StripeEventName { get; set; }
}
