namespace Gravity.Usage;

/// <summary>
/// Optional capability of an <see cref="IUsageStore"/>: it commits several batches at once, each in its own
/// transaction on its own connection, and keeps them from deadlocking one another. <see cref="UsageMeter"/>'s group
/// commit then keeps up to <see cref="MaxConcurrentBatches"/> batches in flight; a store without this capability gets
/// one <see cref="IUsageStore.WriteAsync"/> call at a time.
/// </summary>
/// <remarks>
/// <para>
/// A store that declares it must lock rows in one fixed order in every transaction that writes counters or
/// idempotency keys (the built-in stores lock by account, bucket start, then meter, counters before gauge rows, and
/// closes lock in the same order), so that concurrent batches wait for one another instead of deadlocking. Two batches
/// in flight may hold the same idempotency key: the one that commits second must see the first one's key (a unique
/// constraint, or waiting on its row lock) and answer <see cref="UsageWriteStatus.Duplicate"/> or
/// <see cref="UsageWriteStatus.Conflict"/> for it.
/// </para>
/// <para>
/// A database that commits concurrent transactions shares their log flushes: with several batches in flight, each
/// commit's flush carries more than one batch, and the time one batch spends in round trips is used by another.
/// </para>
/// </remarks>
public interface IConcurrentBatchStore
{
    /// <summary>Gets how many batches the store commits at once; 1 (or less) behaves as a store without the capability.</summary>
    int MaxConcurrentBatches { get; }
}
