namespace Gravity.Usage;

/// <summary>
/// Records usage and reads it back: what a host's code calls wherever usage happens. <see cref="UsageMeter"/> is the
/// implementation that <c>AddUsageBilling</c> registers (as itself and as this interface); hosts fake this interface
/// in their own tests.
/// </summary>
public interface IUsageMeter
{
    /// <summary>Records usage for an account; completes once it is durable.</summary>
    /// <param name="account">The host application's customer id (see <see cref="UsageMeter.IncrementAsync"/> for the rules).</param>
    /// <param name="quantity">How much was used: at least 1 and at most <see cref="UsageBillingOptions.MaxIncrementQuantity"/>.</param>
    /// <param name="meter">A declared meter; <see cref="UsageBillingOptions.DefaultMeter"/> when <see langword="null"/>.</param>
    /// <param name="idempotencyKey">An optional key, such as a request id, that makes a retried increment count once.</param>
    /// <param name="timestamp">When the usage happened; now when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for room in a full queue.</param>
    /// <returns><see cref="IncrementOutcome.Recorded"/>, or <see cref="IncrementOutcome.Duplicate"/> when the key was already counted.</returns>
    /// <exception cref="UsageIdempotencyConflictException">The key was already recorded with another quantity or bucket; nothing was recorded.</exception>
    Task<IncrementOutcome> IncrementAsync(
        string account,
        long quantity = 1,
        string? meter = null,
        string? idempotencyKey = null,
        DateTimeOffset? timestamp = null,
        CancellationToken cancellationToken = default);

    /// <summary>Records a reading of a gauge meter (seats, storage, concurrency); completes once it is durable.</summary>
    /// <param name="account">The host application's customer id (see <see cref="UsageMeter.IncrementAsync"/> for the rules).</param>
    /// <param name="value">The value read: 0 or more, at most <see cref="UsageBillingOptions.MaxCounterQuantity"/>.</param>
    /// <param name="meter">A declared gauge meter (<see cref="MeterOptions.Kind"/> Last, Max or LastEver); <see cref="UsageBillingOptions.DefaultMeter"/> when <see langword="null"/>.</param>
    /// <param name="idempotencyKey">An optional key, such as a request id, that makes a retried reading count once.</param>
    /// <param name="timestamp">When the value was read; now when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for room in a full queue.</param>
    /// <returns><see cref="IncrementOutcome.Recorded"/>, or <see cref="IncrementOutcome.Duplicate"/> when the key was already recorded.</returns>
    Task<IncrementOutcome> SetAsync(
        string account,
        long value,
        string? meter = null,
        string? idempotencyKey = null,
        DateTimeOffset? timestamp = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Records several meters for one account all or nothing, in one transaction, under one optional idempotency key
    /// and one timestamp; completes once it is durable (see <see cref="UsageMeter.RecordAsync"/> for the rules).
    /// </summary>
    /// <param name="account">The host application's customer id.</param>
    /// <param name="parts">At least one part, each on a different declared meter, such as <c>UsagePart.Increment("tokens", 812)</c>.</param>
    /// <param name="idempotencyKey">An optional key, such as a request id, that makes a retried call count once; another call with the same key is refused with <see cref="UsageIdempotencyConflictException"/>.</param>
    /// <param name="timestamp">When the usage happened; now when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for room in a full queue.</param>
    /// <returns><see cref="IncrementOutcome.Recorded"/>, or <see cref="IncrementOutcome.Duplicate"/> when the same call was already recorded under the key.</returns>
    /// <exception cref="UsageInputException">A part or an argument breaks a rule (the message names the part); nothing was recorded.</exception>
    /// <exception cref="UsageIdempotencyConflictException">The key was already recorded with other content; nothing was recorded.</exception>
    Task<IncrementOutcome> RecordAsync(
        string account,
        IReadOnlyList<UsagePart> parts,
        string? idempotencyKey = null,
        DateTimeOffset? timestamp = null,
        CancellationToken cancellationToken = default);

    /// <summary>Reads an account's usage per meter over the buckets that start in [<paramref name="periodStart"/>, <paramref name="periodEnd"/>).</summary>
    /// <param name="account">The account.</param>
    /// <param name="periodStart">The inclusive start of the period.</param>
    /// <param name="periodEnd">The exclusive end of the period.</param>
    /// <param name="meter">One declared meter, or <see langword="null"/> for all of them.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The usage per meter, counted and already reported.</returns>
    Task<UsageSummary> GetAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads an account's usage over its current billing period (the UTC calendar month when it has no billing cycle).
    /// </summary>
    /// <param name="account">The account.</param>
    /// <param name="meter">One declared meter, or <see langword="null"/> for all of them.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The usage per meter; its <see cref="UsageSummary.From"/> and <see cref="UsageSummary.To"/> are the period.</returns>
    Task<UsageSummary> GetCurrentPeriodAsync(string account, string? meter = null, CancellationToken cancellationToken = default);

    /// <summary>Reads an account's usage per bucket, for charts (buckets without usage are left out).</summary>
    /// <param name="account">The account.</param>
    /// <param name="periodStart">The inclusive start of the period.</param>
    /// <param name="periodEnd">The exclusive end of the period.</param>
    /// <param name="meter">One declared meter, or <see langword="null"/> for all of them.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The buckets with usage, in order.</returns>
    Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Corrects an account's usage of a sum meter in the bucket of <paramref name="timestamp"/> by a signed delta, as
    /// an audited adjustment (see <see cref="UsageMeter.CorrectAsync"/> for the rules and how it is applied).
    /// </summary>
    /// <param name="account">The account.</param>
    /// <param name="delta">The signed change: not 0, and at most <see cref="UsageBillingOptions.MaxIncrementQuantity"/> either way.</param>
    /// <param name="meter">A declared meter.</param>
    /// <param name="timestamp">An instant in the bucket to correct, within the same limits as an increment's.</param>
    /// <param name="reason">Why, for the audit trail: 1 to 500 characters.</param>
    /// <param name="idempotencyKey">The key that makes a retried correction apply once.</param>
    /// <param name="cancellationToken">Cancels the correction before it commits.</param>
    /// <returns>The correction, or the one made before under the same key.</returns>
    /// <remarks>
    /// Unlike <see cref="IncrementAsync"/>, where the key and the timestamp are optional and come last, every argument
    /// of a correction is required and the timestamp, which names the bucket corrected, follows what is corrected.
    /// </remarks>
    Task<UsageCorrection> CorrectAsync(string account, long delta, string meter, DateTimeOffset timestamp, string reason, string idempotencyKey, CancellationToken cancellationToken = default);

    /// <summary>Lists corrections, oldest first: the audit trail of adjustments.</summary>
    /// <param name="query">Which corrections: by account, meter and period, paged by id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The corrections, with how each was applied so far.</returns>
    Task<IReadOnlyList<UsageCorrection>> ListCorrectionsAsync(UsageCorrectionQuery query, CancellationToken cancellationToken = default);
}
