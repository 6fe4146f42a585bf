namespace Gravity.Usage;

/// <summary>
/// Optional capability of an <see cref="IUsageStore"/>: tells a batch refused because of what one of its increments
/// holds (a value the database will not take) from a batch that failed because the database is unavailable.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="UsageMeter"/>'s group commit uses it so that one caller's bad increment never fails the other callers of
/// its batch: when the failure is caused by content, it commits the batch again in halves until only the offending
/// increment faults. Splitting is safe only because such a failure must have rolled the whole transaction back
/// (<see cref="IUsageStore.WriteAsync"/> is atomic). When the database is unavailable, splitting would only multiply
/// failing round trips, so every caller gets the error at once.
/// </para>
/// <para>
/// Without this capability, a failed batch fails every caller in it. Never answer <see langword="true"/> for an
/// exception whose transaction may have committed (a lost connection during commit): throw
/// <see cref="UsageCommitOutcomeUnknownException"/> for those, which is never split.
/// </para>
/// </remarks>
public interface IBatchFailureClassifier
{
    /// <summary>Tells whether <paramref name="exception"/>, thrown by a batch write, was caused by an increment's content and left nothing applied.</summary>
    /// <param name="exception">What <see cref="IUsageStore.WriteAsync"/> threw.</param>
    /// <returns><see langword="true"/> when committing the increments in smaller batches may succeed for all but the offender.</returns>
    bool IsCausedByContent(Exception exception);
}
