namespace Gravity.Usage;

/// <summary>How a billing back end answered a delivery.</summary>
public enum DeliveryOutcome
{
    /// <summary>Accepted now, or already accepted earlier under the same identifier.</summary>
    Delivered = 0,

    /// <summary>Not accepted this time (network, timeout, rate limit, conflict, server error): ask again later.</summary>
    Transient = 1,

    /// <summary>Refused for good until something is fixed (unknown customer or meter, bad key, invalid data).</summary>
    Permanent = 2,
}
