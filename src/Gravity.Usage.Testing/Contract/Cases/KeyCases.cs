using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// Idempotency keys across batches and stores: duplicates and conflicts behave alike whichever store instance stored
/// the key; pruning removes only expired keys, never early; keys whose texts only run together stay apart.
/// </summary>
internal sealed class KeyCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<KeyCases>("WriteAsync_SameKeyInALaterBatchAndAfterAReopen_IsADuplicate", c => c.LaterBatchAndReopenAsync()),
        Case<KeyCases>("IncrementAsync_SameKeyOtherContentAfterAReopen_ThrowsConflictNamingTheDifference", c => c.ConflictAfterReopenAsync()),
        Case<KeyCases>("WriteAsync_TextsThatDifferOnlyInWhereOneEndsAndTheNextBegins_AreDifferentKeys", c => c.TextsRunTogetherAsync()),
        Case<KeyCases>("IncrementAsync_KeysAroundTheRetention_OnlyTheExpiredArePrunedAndCountAgain", c => c.RetentionAsync()),
        Case<KeyCases>("PruneIdempotencyKeysAsync_KeyRecordedWithinASecondOfTheCutoff_IsKeptUpToASecondLongerNeverShorter", c => c.PruneWithinASecondAsync()),
    ];

    private async Task LaterBatchAndReopenAsync()
    {
        var first = await Store.Ledger.WriteAsync([Increment("acct", 3, "req-1"), Increment("acct", 1, "req-2")], Cancellation);
        var later = await Store.Ledger.WriteAsync([Increment("acct", 3, "req-1")], Cancellation);
        var reopened = OpenStore();
        var afterReopen = await reopened.Ledger.WriteAsync([Increment("acct", 3, "req-1"), Increment("acct", 1, "req-2"), Increment("acct", 5, "req-3")], Cancellation);

        Check.All(first, UsageWriteStatus.Recorded, "statuses of the first batch");
        Check.Equal(new[] { UsageWriteStatus.Duplicate }, later, "statuses of a later batch");
        Check.Equal(new[] { UsageWriteStatus.Duplicate, UsageWriteStatus.Duplicate, UsageWriteStatus.Recorded }, afterReopen, "statuses of a batch through another store");
        Check.Equal(9L, await TotalAsync("acct"), "total");
        await CheckKeyCountAsync(3, "keys stored: one per key");
    }

    private async Task ConflictAfterReopenAsync()
    {
        await CreateChatMeter().IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation);
        var reopened = CreateChatMeter(OpenStore().Ledger);

        var ex = await Check.ThrowsAsync<UsageIdempotencyConflictException>(() => reopened.IncrementAsync("acct", 6, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation), "a retry with another quantity through another store");
        var retry = await reopened.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation);

        Check.Contains(ex.Message, "quantities", "the conflict's message: the stored fingerprint is read back");
        Check.Equal(IncrementOutcome.Duplicate, retry, "a true retry through another store");
        Check.Equal(5L, await TotalAsync("acct", Tokens), "total");
    }

    private async Task TextsRunTogetherAsync()
    {
        var statuses = await Store.Ledger.WriteAsync(
        [
            Increment("ab", 1, "k", meter: "c"),
            Increment("a", 1, "k", meter: "bc"),
            Increment("a", 1, "ck", meter: "b"),
            Increment("a", 1, "k", meter: "bc"),
        ], Cancellation);
        var again = await OpenStore().Ledger.WriteAsync([Increment("ab", 1, "k", meter: "c"), Increment("a", 1, "ck", meter: "b")], Cancellation);

        Check.Equal(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Recorded, UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }, statuses, "statuses");
        Check.All(again, UsageWriteStatus.Duplicate, "statuses of the repeats through another store");
        await CheckKeyCountAsync(3, "keys stored");
    }

    private async Task RetentionAsync()
    {
        var clock = new FakeTimeProvider(Start);
        var meter = CreateChatMeter(OpenStore(clock).Ledger, clock, TimeSpan.FromHours(24));
        await meter.IncrementAsync("acct", 1, Tokens, idempotencyKey: "old", cancellationToken: Cancellation);
        clock.Advance(TimeSpan.FromHours(1));
        await meter.IncrementAsync("acct", 1, Tokens, idempotencyKey: "young", cancellationToken: Cancellation);

        // "old" is 24 h + 1 s old, "young" 23 h + 1 s: only "old" has expired.
        clock.Advance(TimeSpan.FromHours(23) + TimeSpan.FromSeconds(1));
        // The writer prunes after a batch commits (its caller may already be told), before it takes the next batch.
        await meter.IncrementAsync("trigger", 1, Tokens, cancellationToken: Cancellation);
        var old = await meter.IncrementAsync("acct", 1, Tokens, idempotencyKey: "old", cancellationToken: Cancellation);
        var young = await meter.IncrementAsync("acct", 1, Tokens, idempotencyKey: "young", cancellationToken: Cancellation);

        Check.Equal((IncrementOutcome.Recorded, IncrementOutcome.Duplicate), (old, young), "outcomes: the expired key counts again; the young one stays");
        await CheckKeyCountAsync(2, "keys stored: the young key and the old one recorded again");
        Check.Equal(3L, await TotalAsync("acct", Tokens), "total");
    }

    private async Task PruneWithinASecondAsync()
    {
        // A key is never pruned before it expired, even where times are stored in whole seconds (rounded up).
        Clock.Advance(TimeSpan.FromMilliseconds(400));
        await Store.Ledger.WriteAsync([Increment("acct", 1, "req-1")], Cancellation);

        var atFractionAfter = await Store.Ledger.PruneIdempotencyKeysAsync(Start + TimeSpan.FromMilliseconds(700), 10, Cancellation);
        var atNextSecond = await Store.Ledger.PruneIdempotencyKeysAsync(Start + TimeSpan.FromSeconds(1), 10, Cancellation);
        var pastIt = await Store.Ledger.PruneIdempotencyKeysAsync(Start + TimeSpan.FromMilliseconds(1_001), 10, Cancellation);

        Check.Equal((0, 0, 1), (atFractionAfter, atNextSecond, pastIt), "keys pruned at 0.7 s, 1 s and 1.001 s");
    }
}
