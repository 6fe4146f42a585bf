namespace Gravity.Usage;

/// <summary>
/// The ledger behind <see cref="UsageMeter"/>: counters per (account, meter, bucket) and idempotency keys.
/// Implemented for SQLite (<see cref="Sqlite.SqliteUsageStore"/>) and PostgreSQL (the Gravity.Usage.PostgreSql package).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="UsageMeter"/> coalesces concurrent increments and hands them to <see cref="WriteAsync"/> as one batch,
/// so an implementation commits many increments in one transaction (group commit). Implementations must be safe to
/// call from several threads at once.
/// </para>
/// <para>
/// All instants are UTC. Buckets are identified by their start; a store keeps whatever bucket starts it is given.
/// </para>
/// </remarks>
public interface IUsageStore
{
    /// <summary>
    /// Creates or upgrades the schema if the store is configured to, or checks that it is in place; safe to call
    /// concurrently and repeatedly. Every other member calls it lazily, so hosts only call it to fail fast at start.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the schema lock.</param>
    /// <returns>A task that completes when the schema is ready.</returns>
    /// <exception cref="UsageSchemaException">The database's schema is newer than this library, or missing.</exception>
    Task EnsureSchemaAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a batch of increments atomically: when the returned task completes successfully, every recorded
    /// increment is durable (committed and flushed: the meter completes its callers' tasks only then); when it faults,
    /// none of the batch was applied. When the store cannot tell which (the connection failed during the commit), it
    /// tries for a bounded time to learn the outcome, and then throws <see cref="UsageCommitOutcomeUnknownException"/>:
    /// never another exception, which promises that nothing was applied.
    /// </summary>
    /// <remarks>
    /// Per increment: its idempotency key (when it has one) is stored for its account and meter in the same
    /// transaction as its counter, with <see cref="UsageIncrement.Fingerprint"/>; a key already stored answers
    /// <see cref="UsageWriteStatus.Duplicate"/> when <see cref="IdempotencyFingerprint.Matches"/> the stored fingerprint
    /// and <see cref="UsageWriteStatus.Conflict"/> otherwise, adding nothing; a counter that would pass
    /// <see cref="UsageBillingOptions.MaxCounterQuantity"/> answers <see cref="UsageWriteStatus.WouldOverflow"/> and
    /// stores nothing for the increment. The parts of a multi-meter call (<see cref="UsageIncrement.PartCount"/>) are
    /// consecutive and all get the same status: recorded together or not at all. A batch that breaks the input rules
    /// (<see cref="UsageInput.CheckIncrements"/>) is refused before any transaction starts.
    /// </remarks>
    /// <param name="increments">
    /// The increments, already validated. An increment whose idempotency key is already stored for its account and
    /// meter (also earlier in the same batch) is not counted.
    /// </param>
    /// <param name="cancellationToken">Cancels the write before it commits.</param>
    /// <returns>One status per increment, in the order given.</returns>
    Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default);

    /// <summary>Sums an account's counters per meter over the buckets that start in [<paramref name="periodStart"/>, <paramref name="periodEnd"/>).</summary>
    /// <param name="account">The account.</param>
    /// <param name="periodStart">The inclusive start of the period.</param>
    /// <param name="periodEnd">The exclusive end of the period.</param>
    /// <param name="meter">One meter to read, or <see langword="null"/> for all of them.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The usage per meter, ordered by meter name; meters with no counters in the period are absent.</returns>
    Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default);

    /// <summary>Reads an account's counters of one meter per bucket over the buckets that start in [<paramref name="periodStart"/>, <paramref name="periodEnd"/>).</summary>
    /// <param name="account">The account.</param>
    /// <param name="periodStart">The inclusive start of the period.</param>
    /// <param name="periodEnd">The exclusive end of the period.</param>
    /// <param name="meter">The meter.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The buckets that hold usage, in time order; buckets with no usage are absent.</returns>
    Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default);

    /// <summary>Deletes idempotency keys recorded before <paramref name="recordedBefore"/>, at most <paramref name="maxKeys"/> at a time.</summary>
    /// <param name="recordedBefore">Keys recorded before this instant are deleted.</param>
    /// <param name="maxKeys">The most keys deleted by this call, so that one call never holds the write lock for long.</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    /// <returns>How many keys were deleted.</returns>
    Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default);
}
