namespace Gravity.Usage;

/// <summary>Which corrections to list: by account, meter and the buckets they corrected, paged by id.</summary>
public sealed record UsageCorrectionQuery
{
    /// <summary>Gets only corrections of this account, or of every account when <see langword="null"/>.</summary>
    public string? Account { get; init; }

    /// <summary>Gets only corrections of this meter, or of every meter when <see langword="null"/>.</summary>
    public string? Meter { get; init; }

    /// <summary>Gets only corrections of buckets that start at or after this instant, or no lower bound when <see langword="null"/>.</summary>
    public DateTimeOffset? PeriodStart { get; init; }

    /// <summary>Gets only corrections of buckets that start before this instant, or no upper bound when <see langword="null"/>.</summary>
    public DateTimeOffset? PeriodEnd { get; init; }

    /// <summary>Gets only corrections with a greater id, for paging; 0 starts at the beginning.</summary>
    public long AfterId { get; init; }

    /// <summary>Gets the most corrections listed.</summary>
    /// <value>The default value is 1,000.</value>
    public int Limit { get; init; } = 1_000;
}
