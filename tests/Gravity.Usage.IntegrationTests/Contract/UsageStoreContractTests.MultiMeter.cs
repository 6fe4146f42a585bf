using Gravity.Usage.Internal;
using Gravity.Usage.IntegrationTests.Reporting;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// Several meters in one call (issue 9, item 7): a chat request records <c>api_calls</c> +1 and <c>tokens</c> +N all
/// or nothing, in one transaction, under one idempotency key, on every provider.
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    private const string ApiCalls = "api_calls";
    private const string Tokens = "tokens";

    [Test]
    public async Task RecordAsync_ChatRequest_RecordsBothMetersInOneCommit()
    {
        var recording = new BatchRecordingStore(Store.Ledger);
        var meter = CreateChatMeter(recording);

        var outcome = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1");

        Assert.Multiple(async () =>
        {
            Assert.That(outcome, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(recording.Batches, Has.Count.EqualTo(1), "one commit");
            Assert.That(recording.Batches.Single().Select(i => i.Meter), Is.EqualTo(new[] { ApiCalls, Tokens }));
            Assert.That(await TotalAsync("acct", ApiCalls), Is.EqualTo(1));
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(812));
            Assert.That(await KeyCountAsync(), Is.EqualTo(2), "the key, remembered for each part's meter");
        });
    }

    [TestCase("unknown", 5, "parts[1]", "not a declared meter", TestName = "RecordAsync_UnknownMeterInOnePart_RefusesAllAndStoresNothing")]
    [TestCase(Tokens, 0, "parts[1]", "at least 1", TestName = "RecordAsync_ZeroTokensInOnePart_RefusesAllAndStoresNothing")]
    [TestCase(Tokens, -3, "parts[1]", "at least 1", TestName = "RecordAsync_NegativeQuantityInOnePart_RefusesAllAndStoresNothing")]
    [TestCase(ApiCalls, 2, "parts[1] names meter 'api_calls' again", "once", TestName = "RecordAsync_SameMeterTwice_RefusesAllAndStoresNothing")]
    public async Task RecordAsync_OneBadPart_RefusesAllAndStoresNothing(string secondMeter, long secondQuantity, string namesPart, string rule)
    {
        await Store.Ledger.EnsureSchemaAsync();
        var meter = CreateChatMeter();

        var ex = Assert.CatchAsync<ArgumentException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(secondMeter, secondQuantity)], idempotencyKey: "req-1"))!;
        await meter.DisposeAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(ex.ParamName, Is.EqualTo("parts"));
            Assert.That(ex.Message, Does.Contain(namesPart).And.Contain(rule));
            Assert.That(await CounterCountAsync(), Is.Zero, "no counter");
            Assert.That(await KeyCountAsync(), Is.Zero, "no key");
        });
    }

    [Test]
    public async Task RecordAsync_NoPartsOrANullPartOrABadTimestamp_RefusedNamingTheArgument()
    {
        await Store.Ledger.EnsureSchemaAsync();
        var meter = CreateChatMeter();

        var empty = Assert.CatchAsync<ArgumentException>(() => meter.RecordAsync("acct", []))!;
        var nullPart = Assert.CatchAsync<ArgumentException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), null!]))!;
        var future = Assert.CatchAsync<ArgumentException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1)], timestamp: Start.AddHours(1)))!;
        var badKey = Assert.CatchAsync<ArgumentException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1)], idempotencyKey: "\0"))!;
        await meter.DisposeAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((empty.ParamName, nullPart.ParamName, future.ParamName, badKey.ParamName), Is.EqualTo(("parts", "parts", "timestamp", "idempotencyKey")));
            Assert.That(nullPart.Message, Does.Contain("parts[1]"));
            Assert.That(await CounterCountAsync(), Is.Zero);
        });
    }

    [Test]
    public async Task RecordAsync_OnePartWouldOverflow_RefusesAllStoresNothingAndReleasesTheKey()
    {
        await Store.Ledger.WriteAsync([Increment("acct", UsageBillingOptions.MaxCounterQuantity - 5, meter: Tokens)]);
        var meter = CreateChatMeter();

        var ex = Assert.ThrowsAsync<UsageInputException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 10)], idempotencyKey: "req-1"))!;
        var apiCallsAfterRefusal = await TotalAsync("acct", ApiCalls);
        var keysAfterRefusal = await KeyCountAsync();
        var retry = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 5)], idempotencyKey: "req-1");

        Assert.Multiple(async () =>
        {
            Assert.That(ex.ParamName, Is.EqualTo("parts"));
            Assert.That(ex.Message, Does.Contain("MaxCounterQuantity"));
            Assert.That(apiCallsAfterRefusal, Is.Zero, "the api_calls part was not counted");
            Assert.That(keysAfterRefusal, Is.Zero, "the key was released");
            Assert.That(retry, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(await TotalAsync("acct", ApiCalls), Is.EqualTo(1));
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(UsageBillingOptions.MaxCounterQuantity));
        });
    }

    [Test]
    public async Task WriteAsync_CallWhosePartOverflowsInABatchWithOtherIncrements_OnlyThatCallIsRefusedWhole()
    {
        await Store.Ledger.WriteAsync([Increment("acct", UsageBillingOptions.MaxCounterQuantity - 5, meter: Tokens)]);

        var statuses = await Store.Ledger.WriteAsync(
        [
            Increment("acct", 2, meter: ApiCalls),
            .. Call("acct", "req-1", (ApiCalls, 1), (Tokens, 10)),
            Increment("acct", 3, meter: Tokens),
            .. Call("other", "req-1", (ApiCalls, 1), (Tokens, 10)),
        ]);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[]
            {
                UsageWriteStatus.Recorded,
                UsageWriteStatus.WouldOverflow, UsageWriteStatus.WouldOverflow,
                UsageWriteStatus.Recorded,
                UsageWriteStatus.Recorded, UsageWriteStatus.Recorded,
            }));
            Assert.That(await TotalAsync("acct", ApiCalls), Is.EqualTo(2), "the refused call's api_calls part was taken back");
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(UsageBillingOptions.MaxCounterQuantity - 2));
            Assert.That(await TotalAsync("other", Tokens), Is.EqualTo(10));
            Assert.That(await KeyCountAsync(), Is.EqualTo(2), "only the other account's call keeps its key rows");
        });
    }

    [Test]
    public async Task RecordAsync_KeyRepeated_DuplicateAndNothingCountedTwice_InAnyPartOrderAndAfterAnHourBoundary()
    {
        var meter = CreateChatMeter();

        var first = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1");
        var reordered = await meter.RecordAsync("acct", [UsagePart.Increment(Tokens, 812), UsagePart.Increment(ApiCalls, 1)], idempotencyKey: "req-1");
        Clock.Advance(Hour);
        var nextHour = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1");

        Assert.Multiple(async () =>
        {
            Assert.That(new[] { first, reordered, nextHour }, Is.EqualTo(new[] { IncrementOutcome.Recorded, IncrementOutcome.Duplicate, IncrementOutcome.Duplicate }));
            Assert.That(await TotalAsync("acct", ApiCalls), Is.EqualTo(1));
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(812));
        });
    }

    [Test]
    public async Task RecordAsync_ConcurrentCallers_EachCallWholeAndARepeatedKeyCountedOnce()
    {
        var meter = CreateChatMeter();
        using var go = new ManualResetEventSlim();
        var distinct = Enumerable.Range(0, 48).Select(i => Task.Run(() =>
        {
            go.Wait();
            return meter.RecordAsync($"acct{i % 4}", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, i + 1)], idempotencyKey: $"req-{i}");
        })).ToArray();
        var sameKey = Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            go.Wait();
            return meter.RecordAsync("shared", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 100)], idempotencyKey: "req-shared");
        })).ToArray();

        go.Set();
        var distinctOutcomes = await Task.WhenAll(distinct);
        var sameKeyOutcomes = await Task.WhenAll(sameKey);

        Assert.Multiple(async () =>
        {
            Assert.That(distinctOutcomes, Is.All.EqualTo(IncrementOutcome.Recorded));
            Assert.That(sameKeyOutcomes.Count(o => o == IncrementOutcome.Recorded), Is.EqualTo(1));
            for (var a = 0; a < 4; a++)
            {
                Assert.That(await TotalAsync($"acct{a}", ApiCalls), Is.EqualTo(12));
                Assert.That(await TotalAsync($"acct{a}", Tokens), Is.EqualTo(Enumerable.Range(0, 48).Where(i => i % 4 == a).Sum(i => i + 1L)));
            }

            Assert.That(await TotalAsync("shared", ApiCalls), Is.EqualTo(1));
            Assert.That(await TotalAsync("shared", Tokens), Is.EqualTo(100));
        });
    }

    [Test]
    public async Task RecordAsync_ThenReport_TheReporterSendsBothMeters()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1" });
        var billing = ChatBilling();
        billing.Meters[Tokens].StripeEventName = "llm_tokens";
        var meter = new UsageMeter(Store.Ledger, Options.Create(billing), Clock);
        _meters.Add(meter);
        var sink = new RecordingSink();
        var reporter = new UsageReporter(Store.Reports, sink, new StoreAccountResolver(Store.Accounts), Options.Create(billing), Options.Create(new UsageReportingOptions()), Clock);

        await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 812)], idempotencyKey: "req-1");
        await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 188)], idempotencyKey: "req-2");
        Clock.Advance(Hour + TimeSpan.FromMinutes(5));
        var run = await reporter.ReportAsync();

        Assert.Multiple(() =>
        {
            Assert.That(run.Sent, Is.EqualTo(2), "one report per meter");
            Assert.That(sink.Total("cus_1", ApiCalls), Is.EqualTo(2));
            Assert.That(sink.Total("cus_1", "llm_tokens"), Is.EqualTo(1000));
        });
    }

    /// <summary>The increments of one multi-meter call with a key, as the meter hands them to the store (meter order, one fingerprint).</summary>
    private UsageIncrement[] Call(string account, string key, params (string Meter, long Quantity)[] parts)
    {
        var ordered = parts.OrderBy(p => p.Meter, StringComparer.Ordinal).ToArray();
        var fingerprint = IdempotencyFingerprint.Compute(ordered.Select(p => UsagePart.Increment(p.Meter, p.Quantity)).ToList(), Start, timestampGiven: true);
        return [.. ordered.Select((p, i) => Increment(account, p.Quantity, key, p.Meter) with { Fingerprint = fingerprint, PartIndex = i, PartCount = ordered.Length })];
    }

    /// <summary>A keyed increment on its own, with the fingerprint the meter would give it.</summary>
    private UsageIncrement Keyed(string account, long quantity, string key, string meter = Usage, DateTimeOffset? bucketStart = null) =>
        Increment(account, quantity, key, meter, bucketStart) with { Fingerprint = IdempotencyFingerprint.Compute(meter, quantity, bucketStart ?? Start, timestampGiven: true) };

    private static UsageBillingOptions ChatBilling()
    {
        var options = new UsageBillingOptions();
        options.Meters[ApiCalls] = new MeterOptions();
        options.Meters[Tokens] = new MeterOptions();
        return options;
    }

    /// <summary>A meter declaring api_calls and tokens on <paramref name="store"/> (the test's store when null); disposed before the store.</summary>
    private UsageMeter CreateChatMeter(IUsageStore? store = null)
    {
        var meter = new UsageMeter(store ?? Store.Ledger, Options.Create(ChatBilling()), Clock);
        _meters.Add(meter);
        return meter;
    }

    /// <summary>Keys stored: hashed (schema version 8 on) and, left from before it, as text.</summary>
    private Task<long> KeyCountAsync() => Fixture.ScalarAsync(
        $"SELECT (SELECT COUNT(*) FROM {Fixture.Table("usage_idempotency_hash")}) + (SELECT COUNT(*) FROM {Fixture.Table("usage_idempotency_key")})");

    private Task<long> CounterCountAsync() => Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_counter")}");

    /// <summary>Passes batches to a store and remembers each one, to see how many commits a call took.</summary>
    private sealed class BatchRecordingStore(IUsageStore inner) : IUsageStore
    {
        public List<IReadOnlyList<UsageIncrement>> Batches { get; } = [];

        public Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
        {
            lock (Batches)
            {
                Batches.Add(increments.ToArray());
            }

            return inner.WriteAsync(increments, cancellationToken);
        }

        public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => inner.EnsureSchemaAsync(cancellationToken);

        public Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
            inner.GetTotalsAsync(account, periodStart, periodEnd, meter, cancellationToken);

        public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
            inner.GetSeriesAsync(account, periodStart, periodEnd, meter, cancellationToken);

        public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
            inner.PruneIdempotencyKeysAsync(recordedBefore, maxKeys, cancellationToken);
    }
}
