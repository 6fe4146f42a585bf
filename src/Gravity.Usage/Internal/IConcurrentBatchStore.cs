namespace Gravity.Usage.Internal;

/// <summary>
/// A store that commits several batches at once, each in its own transaction on its own connection, and keeps them
/// from deadlocking one another (rows locked in one fixed order). The group-commit writer keeps up to
/// <see cref="MaxConcurrentBatches"/> batches in flight; a store without this capability gets one at a time.
/// </summary>
/// <remarks>
/// A database that commits concurrent transactions shares their log flushes: with several batches in flight, each
/// commit's flush carries more than one batch, and the time one batch spends in round trips is used by another.
/// </remarks>
internal interface IConcurrentBatchStore
{
    /// <summary>Gets how many batches the store commits at once; 1 behaves as a store without the capability.</summary>
    int MaxConcurrentBatches { get; }
}
