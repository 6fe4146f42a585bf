namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// Conflicting retries are not silent (issue 9, item 8): the same idempotency key with other content is refused with
/// <see cref="UsageIdempotencyConflictException"/> and changes nothing; a true retry stays a duplicate; a key stored
/// before fingerprints existed counts as a match.
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    [Test]
    public async Task IncrementAsync_SameKeyOtherQuantity_ThrowsConflictAndTheCounterIsUnchanged()
    {
        var meter = CreateChatMeter();
        await meter.IncrementAsync("acct_secret", 5, Tokens, idempotencyKey: "req-secret-1");

        var ex = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.IncrementAsync("acct_secret", 6, Tokens, idempotencyKey: "req-secret-1"))!;

        Assert.Multiple(async () =>
        {
            Assert.That(ex, Is.InstanceOf<ArgumentException>());
            Assert.That(ex.ParamName, Is.EqualTo("idempotencyKey"));
            Assert.That(ex.Message, Does.Contain("quantities").And.Not.Contain("req-secret-1").And.Not.Contain("acct_secret"));
            Assert.That(await TotalAsync("acct_secret", Tokens), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task IncrementAsync_SameKeyOtherBucket_ThrowsConflictAndTheCounterIsUnchanged()
    {
        Clock.Advance(2 * Hour);
        var meter = CreateChatMeter();
        await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1", timestamp: Start);

        var ex = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1", timestamp: Start + Hour))!;

        Assert.Multiple(async () =>
        {
            Assert.That(ex.Message, Does.Contain("time bucket"));
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(5));
            Assert.That(await Store.Ledger.GetSeriesAsync("acct", Start, Start + (2 * Hour), Tokens), Is.EqualTo(new[] { new UsageBucket(Start, 5, 0) }));
        });
    }

    [Test]
    public async Task RecordAsync_SameKeyOtherMeter_ThrowsConflictAndTheCountersAreUnchanged()
    {
        var meter = CreateChatMeter();
        await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1");

        var otherMeter = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Usage, 812)], idempotencyKey: "req-1"))!;
        var onePartOnly = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.IncrementAsync("acct", 812, Tokens, idempotencyKey: "req-1"))!;
        var otherQuantity = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 900)], idempotencyKey: "req-1"))!;

        Assert.Multiple(async () =>
        {
            Assert.That(otherMeter.Message, Does.Contain("meters"));
            Assert.That(onePartOnly.Message, Does.Contain("meters"));
            Assert.That(otherQuantity.Message, Does.Contain("quantities"));
            Assert.That(await TotalAsync("acct", ApiCalls), Is.EqualTo(1));
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(812));
            Assert.That(await TotalAsync("acct", Usage), Is.Zero, "the conflicting call's new meter was not counted");
            Assert.That(await KeyCountAsync(), Is.EqualTo(2), "no key row left by the refused calls");
        });
    }

    [Test]
    public async Task IncrementAsync_SameKeyOnAnotherMeterAlone_IsAnotherKey()
    {
        // Keys of calls of one part are scoped per (account, meter), as before: one request id may key one increment per meter.
        var meter = CreateChatMeter();

        var outcomes = new[]
        {
            await meter.IncrementAsync("acct", 1, ApiCalls, idempotencyKey: "req-1"),
            await meter.IncrementAsync("acct", 812, Tokens, idempotencyKey: "req-1"),
        };

        Assert.Multiple(async () =>
        {
            Assert.That(outcomes, Is.All.EqualTo(IncrementOutcome.Recorded));
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(812));
        });
    }

    [Test]
    public async Task IncrementAsync_TrueRetry_IsDuplicate_AlsoWithoutTimestampAfterAnHourBoundary()
    {
        var meter = CreateChatMeter();
        var first = await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1");
        var retry = await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1");
        Clock.Advance(Hour);
        var later = await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1");

        Assert.Multiple(async () =>
        {
            Assert.That(new[] { first, retry, later }, Is.EqualTo(new[] { IncrementOutcome.Recorded, IncrementOutcome.Duplicate, IncrementOutcome.Duplicate }));
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task WriteAsync_SameKeyOtherContentWithinOneBatch_SecondIsConflict()
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
        ]);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[]
            {
                UsageWriteStatus.Recorded, UsageWriteStatus.Conflict, UsageWriteStatus.Duplicate,
                UsageWriteStatus.Recorded, UsageWriteStatus.Recorded,
                UsageWriteStatus.Conflict,
                UsageWriteStatus.Conflict, UsageWriteStatus.Conflict,
                UsageWriteStatus.Duplicate, UsageWriteStatus.Duplicate,
            }));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(5));
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(10));
            Assert.That(await TotalAsync("acct", ApiCalls), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task IncrementAsync_TwoConcurrentCallersSameKeyDifferentQuantity_OneRecordedTheOtherConflicts()
    {
        var meter = CreateChatMeter();
        using var go = new ManualResetEventSlim();
        var callers = new[] { 5L, 6L }.Select(q => Task.Run(async () =>
        {
            go.Wait();
            try
            {
                return (object)await meter.IncrementAsync("acct", q, Tokens, idempotencyKey: "req-1");
            }
            catch (UsageIdempotencyConflictException ex)
            {
                return ex;
            }
        })).ToArray();

        go.Set();
        var results = await Task.WhenAll(callers);

        var total = await TotalAsync("acct", Tokens);
        Assert.Multiple(() =>
        {
            Assert.That(results.Count(r => r is IncrementOutcome.Recorded), Is.EqualTo(1));
            Assert.That(results.Count(r => r is UsageIdempotencyConflictException), Is.EqualTo(1));
            Assert.That(total, Is.EqualTo(5).Or.EqualTo(6));
        });
    }

    [Test]
    public async Task IncrementAsync_KeyStoredBeforeFingerprints_CountsAsAMatch()
    {
        await Store.Ledger.EnsureSchemaAsync();
        await Fixture.ExecuteAsync(
            $"INSERT INTO {Fixture.Table("usage_idempotency_key")} (account, meter, idempotency_key, recorded_at) VALUES ('acct', 'tokens', 'req-old', {Start.ToUnixTimeMilliseconds()})");
        var meter = CreateChatMeter();

        var single = await meter.IncrementAsync("acct", 7, Tokens, idempotencyKey: "req-old");
        var call = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 9)], idempotencyKey: "req-old");

        Assert.Multiple(async () =>
        {
            Assert.That((single, call), Is.EqualTo((IncrementOutcome.Duplicate, IncrementOutcome.Duplicate)));
            Assert.That(await CounterCountAsync(), Is.Zero);
            Assert.That(await KeyCountAsync(), Is.EqualTo(1), "the call released the api_calls key row it tried");
        });
    }

    [Test]
    public async Task EnsureSchemaAsync_KeysOfALedgerFromBeforeVersion4_AreKeptWithoutFingerprintAndMatchAnyRetry()
    {
        // A ledger as version 3 left it, with one key in the old table.
        await Store.Ledger.EnsureSchemaAsync();
        await Fixture.ExecuteAsync($"DROP TABLE {Fixture.Table("usage_idempotency_key")}");
        await Fixture.ExecuteAsync($"CREATE TABLE {Fixture.Table("usage_idempotency")} (account text NOT NULL, meter text NOT NULL, idempotency_key text NOT NULL, recorded_at bigint NOT NULL, PRIMARY KEY (account, meter, idempotency_key))");
        await Fixture.ExecuteAsync($"INSERT INTO {Fixture.Table("usage_idempotency")} VALUES ('acct', 'tokens', 'req-old', {Start.ToUnixTimeMilliseconds()})");
        await Fixture.ExecuteAsync($"DELETE FROM {Fixture.Table("usage_schema_version")} WHERE version >= 4");

        var upgraded = Fixture.CreateStore(Clock);
        var meter = CreateChatMeter(upgraded.Ledger);
        var retry = await meter.IncrementAsync("acct", 8, Tokens, idempotencyKey: "req-old");
        var fresh = await meter.IncrementAsync("acct", 8, Tokens, idempotencyKey: "req-new");
        var conflict = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.IncrementAsync("acct", 9, Tokens, idempotencyKey: "req-new"));

        Assert.Multiple(async () =>
        {
            Assert.That(await SchemaVersionsAsync(), Is.EqualTo(AllVersions));
            Assert.That((retry, fresh), Is.EqualTo((IncrementOutcome.Duplicate, IncrementOutcome.Recorded)));
            Assert.That(conflict, Is.Not.Null);
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(8));
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_idempotency_key")} WHERE fingerprint IS NULL"), Is.EqualTo(1));
        });
    }
}
