namespace Gravity.Usage.Internal;

/// <summary>One round of the meter's key pruning, run by the writer between batches.</summary>
internal static class ExpiredKeyPruning
{
    /// <summary>
    /// A sweep step gets at most this share of the writer's time: the next step waits this many times as long as
    /// the last one took, so that a pass over a large key table slows increments by a few percent at most.
    /// </summary>
    private const int PauseFactor = 19;

    /// <summary>
    /// Prunes one slice (or one sweep step) of keys recorded before <paramref name="recordedBefore"/>; returns when
    /// the next round is due when more remains to do now, or null when this pass is done (the next one starts after
    /// the writer's interval).
    /// </summary>
    public static async Task<DateTimeOffset?> PruneAsync(IUsageStore store, DateTimeOffset recordedBefore, int sliceSize, TimeProvider timeProvider)
    {
        if (store is IIdempotencyKeySweeper sweeper)
        {
            var started = timeProvider.GetTimestamp();
            var (_, complete) = await sweeper.SweepExpiredKeysAsync(recordedBefore, sliceSize, CancellationToken.None).ConfigureAwait(false);
            return complete ? null : timeProvider.GetUtcNow() + (timeProvider.GetElapsedTime(started) * PauseFactor);
        }

        var deleted = await store.PruneIdempotencyKeysAsync(recordedBefore, sliceSize, CancellationToken.None).ConfigureAwait(false);
        // A full slice means more keys have expired: take the next slice after the next batch.
        return deleted >= sliceSize ? timeProvider.GetUtcNow() : null;
    }
}
