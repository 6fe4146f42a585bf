namespace Gravity.Usage.Internal;

/// <summary>
/// Implemented by stores that can tell a batch refused because of what one of its increments holds (a value the
/// database will not take) from a batch that failed because the database is unavailable.
/// </summary>
/// <remarks>
/// The group-commit writer uses it so that one caller's bad increment never fails the other callers of its batch:
/// when the failure is caused by content, it commits the batch again in halves until only the offending increment
/// faults. Splitting is safe because such a failure rolled the whole transaction back. When the database is
/// unavailable, splitting would only multiply failing round trips, so every caller gets the error at once.
/// </remarks>
internal interface IBatchFailureClassifier
{
    /// <summary>Whether <paramref name="exception"/>, thrown by a batch write, was caused by an increment's content and left nothing applied.</summary>
    /// <param name="exception">What the batch write threw.</param>
    /// <returns><see langword="true"/> when committing the increments in smaller batches may succeed for all but the offender.</returns>
    bool IsCausedByContent(Exception exception);
}
