namespace Gravity.Usage;

/// <summary>One billing period of an account: the usage of [<paramref name="Start"/>, <paramref name="End"/>) is billed on one invoice.</summary>
/// <param name="Start">The inclusive start (UTC).</param>
/// <param name="End">The exclusive end (UTC).</param>
public readonly record struct BillingPeriod(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>Tells whether an instant lies in the period.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns><see langword="true"/> when <paramref name="instant"/> is at or after <see cref="Start"/> and before <see cref="End"/>.</returns>
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;
}
