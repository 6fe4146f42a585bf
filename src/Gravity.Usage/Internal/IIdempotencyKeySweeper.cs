namespace Gravity.Usage.Internal;

/// <summary>
/// Implemented by stores whose key table has no index on the recording time (SQLite, schema version 8 on): expired
/// keys are found by sweeping the table in key order, one bounded step at a time, so that no step holds the write
/// lock for long however many keys the table holds.
/// </summary>
internal interface IIdempotencyKeySweeper
{
    /// <summary>
    /// Deletes at most <paramref name="maxKeys"/> keys recorded before <paramref name="recordedBefore"/> among the next
    /// keys of the sweep; <c>PassComplete</c> is true when the sweep reached the end of the table (the next step starts over).
    /// </summary>
    Task<(int Deleted, bool PassComplete)> SweepExpiredKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken);
}
