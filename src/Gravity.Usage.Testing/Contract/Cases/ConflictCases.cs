namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// Conflicting retries are not silent: the same idempotency key with other content is refused with
/// <see cref="UsageIdempotencyConflictException"/> and changes nothing; a true retry stays a duplicate.
/// </summary>
internal sealed class ConflictCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<ConflictCases>("IncrementAsync_SameKeyOtherQuantity_ThrowsConflictAndTheCounterIsUnchanged", c => c.OtherQuantityAsync()),
        Case<ConflictCases>("IncrementAsync_SameKeyOtherBucket_ThrowsConflictAndTheCounterIsUnchanged", c => c.OtherBucketAsync()),
        Case<ConflictCases>("RecordAsync_SameKeyOtherMeter_ThrowsConflictAndTheCountersAreUnchanged", c => c.OtherMeterAsync()),
        Case<ConflictCases>("IncrementAsync_SameKeyOnAnotherMeterAlone_IsAnotherKey", c => c.AnotherMeterAloneAsync()),
        Case<ConflictCases>("IncrementAsync_TrueRetry_IsDuplicate_AlsoWithoutTimestampAfterAnHourBoundary", c => c.TrueRetryAsync()),
        Case<ConflictCases>("WriteAsync_SameKeyOtherContentWithinOneBatch_SecondIsConflict", c => c.WithinOneBatchAsync()),
        Case<ConflictCases>("IncrementAsync_TwoConcurrentCallersSameKeyDifferentQuantity_OneRecordedTheOtherConflicts", c => c.ConcurrentCallersAsync()),
    ];

    private async Task OtherQuantityAsync()
    {
        var meter = CreateChatMeter();
        await meter.IncrementAsync("acct_secret", 5, Tokens, idempotencyKey: "req-secret-1", cancellationToken: Cancellation);

        var ex = await Check.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.IncrementAsync("acct_secret", 6, Tokens, idempotencyKey: "req-secret-1", cancellationToken: Cancellation), "a retry with another quantity");

        Check.Equal("idempotencyKey", ex.ParamName, "the conflict's ParamName");
        Check.Contains(ex.Message, "quantities", "the conflict's message names what differs");
        Check.DoesNotContain(ex.Message, "req-secret-1", "the conflict's message keeps the key out");
        Check.DoesNotContain(ex.Message, "acct_secret", "the conflict's message keeps the account out");
        Check.Equal(5L, await TotalAsync("acct_secret", Tokens), "total");
    }

    private async Task OtherBucketAsync()
    {
        Clock.Advance(2 * Hour);
        var meter = CreateChatMeter();
        await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1", timestamp: Start, cancellationToken: Cancellation);

        var ex = await Check.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1", timestamp: Start + Hour, cancellationToken: Cancellation), "a retry in another bucket");

        Check.Contains(ex.Message, "time bucket", "the conflict's message");
        Check.Equal(5L, await TotalAsync("acct", Tokens), "total");
        Check.Equal(new[] { new UsageBucket(Start, 5, 0) }, await Store.Ledger.GetSeriesAsync("acct", Start, Start + (2 * Hour), Tokens, Cancellation), "series");
    }

    private async Task OtherMeterAsync()
    {
        var meter = CreateChatMeter();
        await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1", cancellationToken: Cancellation);

        var otherMeter = await Check.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Usage, 812)], idempotencyKey: "req-1", cancellationToken: Cancellation), "a retry naming another meter");
        var onePartOnly = await Check.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.IncrementAsync("acct", 812, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation), "a retry of one part only");
        var otherQuantity = await Check.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 900)], idempotencyKey: "req-1", cancellationToken: Cancellation), "a retry with another quantity");

        Check.Contains(otherMeter.Message, "meters", "the other meter's conflict message");
        Check.Contains(onePartOnly.Message, "meters", "the one part's conflict message");
        Check.Contains(otherQuantity.Message, "quantities", "the other quantity's conflict message");
        Check.Equal(1L, await TotalAsync("acct", ApiCalls), "total on api_calls");
        Check.Equal(812L, await TotalAsync("acct", Tokens), "total on tokens");
        Check.Equal(0L, await TotalAsync("acct", Usage), "total on the conflicting call's new meter");
        await CheckKeyCountAsync(2, "keys stored: no key left by the refused calls");
    }

    private async Task AnotherMeterAloneAsync()
    {
        // Keys of calls of one part are scoped per (account, meter): one request id may key one increment per meter.
        var meter = CreateChatMeter();

        var outcomes = new[]
        {
            await meter.IncrementAsync("acct", 1, ApiCalls, idempotencyKey: "req-1", cancellationToken: Cancellation),
            await meter.IncrementAsync("acct", 812, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation),
        };

        Check.All(outcomes, IncrementOutcome.Recorded, "outcomes");
        Check.Equal(812L, await TotalAsync("acct", Tokens), "total on tokens");
    }

    private async Task TrueRetryAsync()
    {
        var meter = CreateChatMeter();
        var first = await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation);
        var retry = await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation);
        Clock.Advance(Hour);
        var later = await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation);

        Check.Equal(new[] { IncrementOutcome.Recorded, IncrementOutcome.Duplicate, IncrementOutcome.Duplicate }, new[] { first, retry, later }, "outcomes of the call, its retry and a retry an hour later");
        Check.Equal(5L, await TotalAsync("acct", Tokens), "total");
    }

    private async Task WithinOneBatchAsync()
    {
        var statuses = await Store.Ledger.WriteAsync(
        [
            Keyed("acct", 5, "req-1"),
            Keyed("acct", 6, "req-1"),
            Keyed("acct", 5, "req-1"),
            .. Call("acct", "req-2", (ApiCalls, 1), (Tokens, 10)),
            Keyed("acct", 10, "req-2", Tokens),
            .. Call("acct", "req-2", (ApiCalls, 1), (Tokens, 11)),
            .. Call("acct", "req-2", (Tokens, 10), (ApiCalls, 1)),
        ], Cancellation);

        Check.Equal(
            new[]
            {
                UsageWriteStatus.Recorded, UsageWriteStatus.Conflict, UsageWriteStatus.Duplicate,
                UsageWriteStatus.Recorded, UsageWriteStatus.Recorded,
                UsageWriteStatus.Conflict,
                UsageWriteStatus.Conflict, UsageWriteStatus.Conflict,
                UsageWriteStatus.Duplicate, UsageWriteStatus.Duplicate,
            },
            statuses,
            "statuses");
        Check.Equal(5L, await TotalAsync("acct"), "total on usage");
        Check.Equal(10L, await TotalAsync("acct", Tokens), "total on tokens");
        Check.Equal(1L, await TotalAsync("acct", ApiCalls), "total on api_calls");
    }

    private async Task ConcurrentCallersAsync()
    {
        var meter = CreateChatMeter();
        using var go = new ManualResetEventSlim();
        var callers = new[] { 5L, 6L }.Select(q => Task.Run(async () =>
        {
            go.Wait(Cancellation);
            try
            {
                return (object)await meter.IncrementAsync("acct", q, Tokens, idempotencyKey: "req-1", cancellationToken: Cancellation);
            }
            catch (UsageIdempotencyConflictException ex)
            {
                return ex;
            }
        })).ToArray();

        go.Set();
        var results = await Task.WhenAll(callers);

        var total = await TotalAsync("acct", Tokens);
        Check.Equal(1, results.Count(r => r is IncrementOutcome.Recorded), "callers recorded");
        Check.Equal(1, results.Count(r => r is UsageIdempotencyConflictException), "callers refused with a conflict");
        Check.True(total is 5 or 6, "total", "5 or 6", total);
    }
}
