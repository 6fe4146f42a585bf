using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests;

/// <summary>Bad input is refused with an exception that names the argument and the rule, and changes nothing (DESIGN §3).</summary>
public sealed class BadInputTests : LedgerTest
{
    private const string Barrier = "barrier";

    private static readonly TestCaseData[] BadAccounts =
    [
        new TestCaseData(string.Empty).SetName("IncrementAsync_EmptyAccount_IsRefused"),
        new TestCaseData("   ").SetName("IncrementAsync_WhitespaceAccount_IsRefused"),
        new TestCaseData(new string('a', 201)).SetName("IncrementAsync_201CharAccount_IsRefused"),
    ];

    private static readonly TestCaseData[] SqlLookingNames =
    [
        new TestCaseData("'; DROP TABLE usage_counter;--").SetName("IncrementAsync_SqlInjectionName_IsStoredVerbatim"),
        new TestCaseData("O'Brien \"quoted\"").SetName("IncrementAsync_QuotedName_IsStoredVerbatim"),
        new TestCaseData("账户-ß-😀").SetName("IncrementAsync_UnicodeName_IsStoredVerbatim"),
    ];

    [Test]
    public async Task IncrementAsync_NullAccount_IsRefused()
    {
        var meter = await CreateSeededMeterAsync();

        await AssertRefusedAsync(meter, () => meter.IncrementAsync(null!), "account", "null");
    }

    [TestCaseSource(nameof(BadAccounts))]
    public async Task IncrementAsync_BadAccount_IsRefused(string badAccount)
    {
        var meter = await CreateSeededMeterAsync();

        await AssertRefusedAsync(meter, () => meter.IncrementAsync(badAccount), "account", "1 to 200 characters");
    }

    [Test]
    public async Task IncrementAsync_200CharAccount_IsRecorded()
    {
        var meter = await CreateSeededMeterAsync();
        var account = new string('a', 200);

        var outcome = await meter.IncrementAsync(account, 3);

        var total = await TotalAsync(meter, account);
        Assert.Multiple(() =>
        {
            Assert.That(outcome, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(total, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task IncrementAsync_UndeclaredMeter_IsRefused()
    {
        var meter = await CreateSeededMeterAsync();

        await AssertRefusedAsync(meter, () => meter.IncrementAsync("acct", 1, "tokens"), "meter", "'tokens' is not a declared meter");
    }

    [TestCase(0L, TestName = "IncrementAsync_QuantityZero_IsRefused")]
    [TestCase(-1L, TestName = "IncrementAsync_QuantityMinusOne_IsRefused")]
    [TestCase(long.MinValue, TestName = "IncrementAsync_QuantityLongMinValue_IsRefused")]
    [TestCase(1_000_000_001L, TestName = "IncrementAsync_QuantityAboveMaxIncrementQuantity_IsRefused")]
    public async Task IncrementAsync_QuantityOutOfRange_IsRefused(long badQuantity)
    {
        var meter = await CreateSeededMeterAsync(o => o.MaxIncrementQuantity = 1_000_000_000);

        var ex = await AssertRefusedAsync(
            meter, () => meter.IncrementAsync("acct", badQuantity), "quantity", "at least 1 and at most 1000000000 (MaxIncrementQuantity)");

        Assert.That(ex.Message, Does.Contain($"this one is {badQuantity}."), "the message states the value refused");
    }

    [Test]
    public async Task IncrementAsync_QuantityEqualToMaxIncrementQuantity_IsRecorded()
    {
        var meter = await CreateSeededMeterAsync(o => o.MaxIncrementQuantity = 1_000);

        await meter.IncrementAsync("acct", 1_000);

        Assert.That(await TotalAsync(meter, "acct"), Is.EqualTo(5 + 1_000));
    }

    [Test]
    public async Task IncrementAsync_TimestampMoreThanFiveMinutesAhead_IsRefused()
    {
        var meter = await CreateSeededMeterAsync();
        var tooFar = Clock.GetUtcNow() + TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(1);

        await AssertRefusedAsync(
            meter, () => meter.IncrementAsync("acct", timestamp: tooFar), "timestamp", "at most 5 minutes ahead");
    }

    [Test]
    public async Task IncrementAsync_TimestampExactlyFiveMinutesAhead_IsRecordedInItsBucket()
    {
        var meter = await CreateSeededMeterAsync();
        Clock.SetUtcNow(Start.AddMinutes(58));

        await meter.IncrementAsync("acct", 2, timestamp: Clock.GetUtcNow() + TimeSpan.FromMinutes(5));

        var series = await meter.GetSeriesAsync("acct", AllTimeFrom, AllTimeTo);
        Assert.That(series, Is.EqualTo(new[] { new UsageBucket(Start, 5, 0), new UsageBucket(Start.AddHours(1), 2, 0) }));
    }

    [Test]
    public async Task IncrementAsync_TimestampOlderThanMaxBackdate_IsRefused()
    {
        var meter = await CreateSeededMeterAsync(o => o.MaxBackdate = TimeSpan.FromDays(2));
        var tooOld = Clock.GetUtcNow() - TimeSpan.FromDays(2) - TimeSpan.FromTicks(1);

        await AssertRefusedAsync(
            meter, () => meter.IncrementAsync("acct", timestamp: tooOld), "timestamp", "at most 2 days in the past (MaxBackdate)");
    }

    [Test]
    public async Task IncrementAsync_TimestampExactlyMaxBackdateOld_IsRecorded()
    {
        var meter = await CreateSeededMeterAsync();

        await meter.IncrementAsync("acct", 2, timestamp: Clock.GetUtcNow() - TimeSpan.FromDays(30));

        var series = await meter.GetSeriesAsync("acct", AllTimeFrom, AllTimeTo);
        Assert.That(series, Is.EqualTo(new[] { new UsageBucket(Start.AddDays(-30), 2, 0), new UsageBucket(Start, 5, 0) }));
    }

    [TestCase("", TestName = "IncrementAsync_EmptyIdempotencyKey_IsRefused")]
    [TestCase(" ", TestName = "IncrementAsync_WhitespaceIdempotencyKey_IsRefused")]
    [TestCase(256, TestName = "IncrementAsync_256CharIdempotencyKey_IsRefused")]
    public async Task IncrementAsync_BadIdempotencyKey_IsRefused(object keyOrLength)
    {
        var meter = await CreateSeededMeterAsync();
        var key = keyOrLength as string ?? new string('k', (int)keyOrLength);

        await AssertRefusedAsync(
            meter, () => meter.IncrementAsync("acct", idempotencyKey: key), "idempotencyKey", "1 to 255 characters");
    }

    [Test]
    public async Task IncrementAsync_255CharIdempotencyKey_IsRecorded()
    {
        var meter = await CreateSeededMeterAsync();
        var key = new string('k', 255);

        var outcomes = new[] { await meter.IncrementAsync("acct", idempotencyKey: key), await meter.IncrementAsync("acct", idempotencyKey: key) };

        Assert.That(outcomes, Is.EqualTo(new[] { IncrementOutcome.Recorded, IncrementOutcome.Duplicate }));
    }

    [Test]
    public async Task IncrementAsync_CounterWouldOverflow_IsRefusedAndKeyIsNotConsumed()
    {
        var meter = CreateMeter(configure: o => o.MaxIncrementQuantity = UsageBillingOptions.MaxCounterQuantity);
        await meter.IncrementAsync("big", UsageBillingOptions.MaxCounterQuantity - 10);

        var ex = await AssertRefusedAsync(
            meter, () => meter.IncrementAsync("big", 11, idempotencyKey: "req-1"), "quantity", $"would exceed {UsageBillingOptions.MaxCounterQuantity}, the most a counter may hold");
        var rawAfterRefusal = RawQuantity("big");
        var retry = await meter.IncrementAsync("big", 10, idempotencyKey: "req-1");
        var rawAfterRetry = RawQuantity("big");
        var oneMore = Assert.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("big", 1))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.StartWith("Adding 11 to the counter"), "the message states the quantity refused");
            Assert.That(rawAfterRefusal, Is.EqualTo(("integer", UsageBillingOptions.MaxCounterQuantity - 10)), "the refused increment left the counter an exact integer");
            Assert.That(retry, Is.EqualTo(IncrementOutcome.Recorded), "the refused increment did not consume its key");
            Assert.That(rawAfterRetry, Is.EqualTo(("integer", UsageBillingOptions.MaxCounterQuantity)));
            Assert.That(oneMore.ParamName, Is.EqualTo("quantity"));
            Assert.That(RawQuantity("big"), Is.EqualTo(("integer", UsageBillingOptions.MaxCounterQuantity)));
        });
    }

    [Test]
    public async Task WriteAsync_FoldedSumOverflowsButEachFits_FirstRecordsSecondIsRefused()
    {
        var store = CreateStore();

        var statuses = await store.WriteAsync([Increment("big", UsageBillingOptions.MaxCounterQuantity - 5, "k1"), Increment("big", 10, "k2")]);

        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.WouldOverflow }));
            Assert.That(RawQuantity("big"), Is.EqualTo(("integer", UsageBillingOptions.MaxCounterQuantity - 5)));
            Assert.That(Database.IdempotencyKeys(), Is.EqualTo(SqliteFile.Hashed("big | usage | k1")), "the refused increment's key is not kept");
        });
    }

    [Test]
    public async Task WriteAsync_FirstOfBatchOverflowsLaterFits_OnlyTheOverflowingOneIsRefused()
    {
        var store = CreateStore();
        await store.WriteAsync([Increment("big", UsageBillingOptions.MaxCounterQuantity - 10)]);

        var statuses = await store.WriteAsync([Increment("big", 20), Increment("big", 5), Increment("big", 6)]);

        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.WouldOverflow, UsageWriteStatus.Recorded, UsageWriteStatus.WouldOverflow }));
            Assert.That(RawQuantity("big"), Is.EqualTo(("integer", UsageBillingOptions.MaxCounterQuantity - 5)));
        });
    }

    // Library bug, fails until fixed: SqliteBatchWriter.Write (SqliteBatchWriter.cs) marks a repeated key in a batch as
    // Duplicate before folding; when the first holder of the key then overflows, its key is deleted, yet the repeat
    // keeps its Duplicate status although nothing was ever counted under that key.
    [Test]
    public async Task WriteAsync_RepeatOfAKeyWhoseFirstUseOverflowed_IsNotReportedAsDuplicate()
    {
        var store = CreateStore();
        await store.WriteAsync([Increment("big", UsageBillingOptions.MaxCounterQuantity - 10)]);

        var statuses = await store.WriteAsync([Increment("big", 20, "req-1"), Increment("big", 5, "req-1")]);

        Assert.Multiple(() =>
        {
            Assert.That(statuses[0], Is.EqualTo(UsageWriteStatus.WouldOverflow));
            Assert.That(statuses[1], Is.Not.EqualTo(UsageWriteStatus.Duplicate), "nothing was counted under req-1, so the repeat is no duplicate");
        });
    }

    [Test]
    public async Task GetAsync_EndBeforeStart_IsRefused()
    {
        var meter = await CreateSeededMeterAsync();

        var ex = Assert.ThrowsAsync<UsageInputException>(() => meter.GetAsync("acct", Start, Start.AddTicks(-1)))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.ParamName, Is.EqualTo("periodEnd"));
            Assert.That(ex.Message, Does.Contain("must not lie before its start"));
        });
    }

    [Test]
    public async Task GetAsync_UndeclaredMeterOrBadAccount_IsRefused()
    {
        var meter = await CreateSeededMeterAsync();

        var meterError = Assert.ThrowsAsync<UsageInputException>(() => meter.GetAsync("acct", AllTimeFrom, AllTimeTo, "tokens"))!;
        var seriesError = Assert.ThrowsAsync<UsageInputException>(() => meter.GetSeriesAsync("acct", AllTimeFrom, AllTimeTo, "tokens"))!;
        var accountError = Assert.ThrowsAsync<UsageInputException>(() => meter.GetAsync(" ", AllTimeFrom, AllTimeTo))!;

        Assert.Multiple(() =>
        {
            Assert.That(meterError.ParamName, Is.EqualTo("meter"));
            Assert.That(seriesError.ParamName, Is.EqualTo("meter"));
            Assert.That(accountError.ParamName, Is.EqualTo("account"));
        });
    }

    [TestCase("x; drop")]
    [TestCase("1abc")]
    [TestCase("a-b")]
    [TestCase("a_prefix_that_is_longer_than_forty_chars_")]
    public void SqliteUsageStore_UnsafeTablePrefix_IsRefused(string prefix)
    {
        var options = new SqliteUsageStoreOptions { ConnectionString = Database.ConnectionString, TablePrefix = prefix };

        var ex = Assert.Throws<OptionsValidationException>(() => _ = new SqliteUsageStore(options, Clock))!;
        var scriptError = Assert.Throws<ArgumentException>(() => SqliteUsageStore.GetInstallScript(prefix))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failures, Has.Some.Contains("TablePrefix must be ASCII letters, digits and underscores"));
            Assert.That(scriptError.ParamName, Is.EqualTo("tablePrefix"));
            Assert.That(File.Exists(Database.Path), Is.False, "nothing was created");
        });
    }

    [TestCase("x; drop")]
    [TestCase("1abc")]
    [TestCase("a-b")]
    public async Task AddUsageBilling_UnsafeTablePrefix_IsRefusedOnResolve(string prefix)
    {
        await using var provider = new ServiceCollection()
            .AddUsageBilling(u => u.UseSqlite(o =>
            {
                o.ConnectionString = Database.ConnectionString;
                o.TablePrefix = prefix;
            }))
            .BuildServiceProvider();

        var storeError = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUsageStore>())!;
        var meterError = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<UsageMeter>())!;

        Assert.Multiple(() =>
        {
            Assert.That(storeError.Failures, Has.Some.Contains("TablePrefix"));
            Assert.That(meterError.Failures, Has.Some.Contains("TablePrefix"));
        });
    }

    [TestCaseSource(nameof(SqlLookingNames))]
    public async Task IncrementAsync_SqlLookingAccountMeterAndKey_AreStoredVerbatim(string name)
    {
        var meter = CreateMeter(configure: o => o.Meters[name] = new MeterOptions());

        var outcomes = new[] { await meter.IncrementAsync(name, 4, name, name), await meter.IncrementAsync(name, 4, name, name) };

        var summary = await meter.GetAsync(name, AllTimeFrom, AllTimeTo);
        var series = await meter.GetSeriesAsync(name, AllTimeFrom, AllTimeTo, name);
        Assert.Multiple(() =>
        {
            Assert.That(outcomes, Is.EqualTo(new[] { IncrementOutcome.Recorded, IncrementOutcome.Duplicate }));
            Assert.That(summary.Account, Is.EqualTo(name));
            Assert.That(summary.Meters, Is.EqualTo(new[] { new MeterUsage(name, 4) { PendingQuantity = 4 } }));
            Assert.That(series, Is.EqualTo(new[] { new UsageBucket(Start, 4, 0) }));
            Assert.That(Database.CounterRows(), Is.EqualTo(new[] { $"{name} | {name} | {Start.ToUnixTimeSeconds()} | 4 | 0" }));
            Assert.That(Database.IdempotencyKeys(), Is.EqualTo(SqliteFile.Hashed($"{name} | {name} | {name}")));
            Assert.That(Database.TableNames(), Is.SupersetOf(new[] { "usage_counter", "usage_idempotency_key", "usage_schema_version" }));
        });
    }

    [Test]
    public async Task IncrementAsync_AccountsDifferingOnlyInCase_AreSeparate()
    {
        var meter = CreateMeter();

        await meter.IncrementAsync("acct", 1);
        await meter.IncrementAsync("ACCT", 2);

        var totals = new[] { await TotalAsync(meter, "acct"), await TotalAsync(meter, "ACCT") };
        Assert.That(totals, Is.EqualTo(new long[] { 1, 2 }));
    }

    private async Task<UsageMeter> CreateSeededMeterAsync(Action<UsageBillingOptions>? configure = null)
    {
        var meter = CreateMeter(configure: configure);
        await meter.IncrementAsync("acct", 5, idempotencyKey: "seed");
        return meter;
    }

    /// <summary>
    /// Asserts the call is refused with <typeparamref name="TException"/> naming <paramref name="paramName"/> and
    /// <paramref name="rule"/>, and that the ledger is unchanged once everything queued before a barrier increment is committed.
    /// </summary>
    private async Task<UsageInputException> AssertRefusedAsync(UsageMeter meter, AsyncTestDelegate act, string paramName, string rule)
    {
        var countersBefore = Database.CounterRows();
        var keysBefore = Database.IdempotencyKeys();

        var ex = Assert.ThrowsAsync<UsageInputException>(act)!;
        // The queue is first in, first out: had the refused call queued anything, it is committed before this.
        await meter.IncrementAsync(Barrier);

        var countersAfter = Database.CounterRows().Where(r => !r.StartsWith(Barrier + " |", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(ex.ParamName, Is.EqualTo(paramName));
            Assert.That(ex.Message, Does.Contain(rule));
            Assert.That(countersAfter, Is.EqualTo(countersBefore), "counters unchanged");
            Assert.That(Database.IdempotencyKeys(), Is.EqualTo(keysBefore), "idempotency keys unchanged");
        });
        return ex;
    }

    private (string Type, long Value) RawQuantity(string account)
    {
        var row = Database.Query($"SELECT typeof(quantity), quantity FROM usage_counter WHERE account = '{account}'").Single();
        return ((string)row[0], Convert.ToInt64(row[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
