namespace Gravity.Usage;

/// <summary>How usage is counted: bucket size, limits on increments, meters, and the write queue.</summary>
/// <remarks>Validated when the application starts (or when <see cref="UsageMeter"/> is created); every failure is listed.</remarks>
public sealed class UsageBillingOptions
{
    /// <summary>The name of the meter used when an increment names none.</summary>
    public const string DefaultMeterName = "usage";

    /// <summary>The longest time a timestamp may lie ahead of the clock, as Stripe also allows.</summary>
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the width of a counter's time bucket.</summary>
    /// <value>The default value is one hour. It must be whole seconds, at least one minute, and divide a day evenly.</value>
    public TimeSpan BucketSize { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The most one counter (one account, meter and bucket) may hold, and so the most one increment may add:
    /// 999,999,999,999,999. Stripe accepts meter event values of at most 15 significant digits, so a bucket's usage
    /// always fits in one report, and period totals over any realistic span stay exact in a <see cref="long"/>.
    /// </summary>
    public const long MaxCounterQuantity = 999_999_999_999_999;

    /// <summary>Gets or sets the largest quantity a single increment may add.</summary>
    /// <value>The default value is 1,000,000,000. It must be at least 1 and at most <see cref="MaxCounterQuantity"/>.</value>
    public long MaxIncrementQuantity { get; set; } = 1_000_000_000;

    /// <summary>Gets or sets how far in the past an increment's timestamp may lie.</summary>
    /// <value>
    /// The default value is 30 days. It must be positive and at most 34 days: Stripe accepts no usage older than 35
    /// days, and a day is kept for reporting it.
    /// </value>
    public TimeSpan MaxBackdate { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Gets or sets how long an idempotency key is remembered; a key repeated later counts again.</summary>
    /// <value>
    /// The default value is 48 hours: twice the 24 hours for which Stripe keeps its own idempotency keys, so that a
    /// retry policy written for Stripe is covered with a day to spare. It must be at least 1 hour and at most 35 days
    /// (Stripe accepts no usage older than 35 days). Each key costs about 40 bytes on SQLite and about 100 on
    /// PostgreSQL, so a ledger holds rate × retention keys: 1,000 keyed increments a second kept 48 hours are
    /// 173 million keys, about 7 GB on SQLite.
    /// </value>
    public TimeSpan IdempotencyKeyRetention { get; set; } = TimeSpan.FromHours(48);

    /// <summary>Gets or sets the most increments committed in one transaction.</summary>
    /// <value>The default value is 4,096. It must be between 1 and 65,536.</value>
    public int MaxBatchSize { get; set; } = 4096;

    /// <summary>
    /// Gets or sets how many increments may wait to be committed; when the queue is full, callers wait (back-pressure).
    /// </summary>
    /// <value>The default value is 65,536. It must be at least <see cref="MaxBatchSize"/>.</value>
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>
    /// Gets or sets how long the meter uses an account's billing cycle before loading it again through the
    /// <see cref="IUsageAccountResolver"/>. A cycle saved through the built-in store applies in this process at once; in
    /// other processes sharing the ledger (several app instances on PostgreSQL) it applies within this interval.
    /// </summary>
    /// <value>The default value is 5 minutes. It must be at least 1 second and at most 1 day.</value>
    public TimeSpan BillingCycleRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the meter used when an increment names none; it is always declared.</summary>
    /// <value>The default value is <c>usage</c>.</value>
    public string DefaultMeter { get; set; } = DefaultMeterName;

    /// <summary>Gets the declared meters by name (ordinal, case-sensitive). Increments on other meters are rejected.</summary>
    public IDictionary<string, MeterOptions> Meters { get; } = new Dictionary<string, MeterOptions>(StringComparer.Ordinal);

    /// <summary>Tells whether a meter is declared, either in <see cref="Meters"/> or as <see cref="DefaultMeter"/>.</summary>
    /// <param name="meter">The meter's name.</param>
    /// <returns><see langword="true"/> if increments on the meter are accepted.</returns>
    public bool IsDeclared(string meter) =>
        string.Equals(meter, DefaultMeter, StringComparison.Ordinal) || Meters.ContainsKey(meter);
}
