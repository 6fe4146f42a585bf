namespace Gravity.Usage;

/// <summary>An account's usage over a period, per meter.</summary>
public sealed class UsageSummary
{
    /// <summary>Initializes a new instance of the <see cref="UsageSummary"/> class.</summary>
    /// <param name="account">The account the usage belongs to.</param>
    /// <param name="from">The inclusive start of the period.</param>
    /// <param name="to">The exclusive end of the period.</param>
    /// <param name="meters">The usage per meter; meters with no usage may be left out.</param>
    public UsageSummary(string account, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<MeterUsage> meters)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(meters);
        Account = account;
        From = from;
        To = to;
        Meters = meters;
    }

    /// <summary>Gets the account the usage belongs to.</summary>
    public string Account { get; }

    /// <summary>Gets the inclusive start of the period: buckets that start at or after it are counted.</summary>
    public DateTimeOffset From { get; }

    /// <summary>Gets the exclusive end of the period: buckets that start before it are counted.</summary>
    public DateTimeOffset To { get; }

    /// <summary>Gets the usage per meter, ordered by meter name; meters with no usage in the period are absent.</summary>
    public IReadOnlyList<MeterUsage> Meters { get; }

    /// <summary>Gets the usage of one meter, or zero usage when it has none in the period.</summary>
    /// <param name="meter">The meter's name.</param>
    /// <returns>The meter's usage.</returns>
    public MeterUsage GetMeter(string meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        foreach (var usage in Meters)
        {
            if (string.Equals(usage.Meter, meter, StringComparison.Ordinal))
            {
                return usage;
            }
        }

        return new MeterUsage(meter, 0);
    }
}
