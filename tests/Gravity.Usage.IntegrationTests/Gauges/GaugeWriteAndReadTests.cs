using Gravity.Usage.IntegrationTests.Contract;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Gauges;

/// <summary>Gauge readings on every provider: reads per kind, idempotency keys, and bad input that stores nothing.</summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class GaugeWriteAndReadTests<TFixture> : GaugeTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task GetAsync_ReturnsPerMeterTheAggregateItBills_AndTheSeriesEachBucketsValue()
    {
        var provider = BuildProvider();
        var meter = provider.GetRequiredService<IUsageMeter>();
        Clock.SetUtcNow(Day0.AddHours(8));
        await meter.IncrementAsync("acct", 3, ApiCalls, timestamp: Day0.AddHours(2));
        await meter.IncrementAsync("acct", 4, ApiCalls, timestamp: Day0.AddHours(5));
        await meter.SetAsync("acct", 0, Seats, timestamp: Day0.AddHours(1));           // 0 is a value
        await meter.SetAsync("acct", 9, Seats, timestamp: Day0.AddHours(2));
        await meter.SetAsync("acct", 4, Seats, timestamp: Day0.AddHours(5));
        await meter.SetAsync("acct", 7, Seats, timestamp: Day0.AddHours(4));           // arrives late, older than 5h
        await meter.SetAsync("acct", 6, Peak, timestamp: Day0.AddHours(2));
        await meter.SetAsync("acct", 8, Peak, timestamp: Day0.AddHours(3));
        await meter.SetAsync("acct", 1, Peak, timestamp: Day0.AddHours(5));
        await meter.SetAsync("acct", 20, PlanSeats, timestamp: Day0.AddHours(1));
        await meter.SetAsync("acct", 25, PlanSeats, timestamp: Day0.AddHours(6));

        var window = await meter.GetAsync("acct", Day0.AddHours(2), Day0.AddHours(6));
        var afterReadings = await meter.GetAsync("acct", Day0.AddHours(7), Day0.AddHours(8));
        var beforeAny = await meter.GetAsync("acct", Day0, Day0.AddHours(1));
        var zero = await meter.GetAsync("acct", Day0.AddHours(1), Day0.AddHours(2), Seats);
        var seats = await meter.GetSeriesAsync("acct", Day0, Day0.AddDays(1), Seats);
        var peak = await meter.GetSeriesAsync("acct", Day0, Day0.AddDays(1), Peak);
        Assert.Multiple(() =>
        {
            Assert.That(window.Meters, Is.EqualTo(new[]
            {
                new MeterUsage(ApiCalls, 7) { PendingQuantity = 7 },
                new MeterUsage(Peak, 8) { Kind = MeterKind.Max, PendingQuantity = 8 },
                new MeterUsage(PlanSeats, 20) { Kind = MeterKind.LastEver, PendingQuantity = 20 },
                new MeterUsage(Seats, 4) { Kind = MeterKind.Last, PendingQuantity = 4 },
            }), "sum; highest; latest before the window's end (from before the window); latest by timestamp");
            Assert.That(afterReadings.Meters, Is.EqualTo(new[] { new MeterUsage(PlanSeats, 25) { Kind = MeterKind.LastEver, PendingQuantity = 25 } }), "only LastEver carries into a window without readings");
            Assert.That(beforeAny.Meters, Is.Empty, "no reading before the first one, not even LastEver");
            Assert.That(zero.Meters, Is.EqualTo(new[] { new MeterUsage(Seats, 0) { Kind = MeterKind.Last } }), "a reading of 0 is a value");
            Assert.That(seats.Select(b => (b.BucketStart, b.Quantity)), Is.EqualTo(new[]
            {
                (Day0.AddHours(1), 0L), (Day0.AddHours(2), 9L), (Day0.AddHours(4), 7L), (Day0.AddHours(5), 4L),
            }));
            Assert.That(peak.Select(b => b.Quantity), Is.EqualTo(new[] { 6L, 8L, 1L }));
            Assert.That(peak.Select(b => b.ReportedQuantity), Is.All.Zero, "not reported yet");
        });
    }

    [Test]
    public async Task SetAsync_SameIdempotencyKeyAgain_ARetryIsADuplicateAndOtherContentAConflict()
    {
        var provider = BuildProvider();
        var meter = provider.GetRequiredService<IUsageMeter>();
        Clock.SetUtcNow(Day0.AddHours(3));

        var first = await meter.SetAsync("acct", 5, Seats, idempotencyKey: "req-1", timestamp: Day0.AddHours(1));
        var retried = await meter.SetAsync("acct", 5, Seats, idempotencyKey: "req-1", timestamp: Day0.AddHours(1));
        var conflict = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.SetAsync("acct", 9, Seats, idempotencyKey: "req-1", timestamp: Day0.AddHours(1)));
        var together = await Task.WhenAll(
            meter.SetAsync("acct", 11, Peak, idempotencyKey: "req-2", timestamp: Day0.AddHours(2)),
            meter.SetAsync("acct", 11, Peak, idempotencyKey: "req-2", timestamp: Day0.AddHours(2)),
            meter.SetAsync("acct", 11, Peak, idempotencyKey: "req-2", timestamp: Day0.AddHours(2)));
        var otherMeter = await meter.SetAsync("acct", 2, PlanSeats, idempotencyKey: "req-1");

        var usage = await meter.GetAsync("acct", Day0, Day0.AddDays(1));
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(retried, Is.EqualTo(IncrementOutcome.Duplicate));
            Assert.That(conflict, Is.Not.Null, "the key with another value is refused, not silently dropped");
            Assert.That(together.Count(o => o == IncrementOutcome.Recorded), Is.EqualTo(1), "one of three concurrent retries is recorded");
            Assert.That(together.Count(o => o == IncrementOutcome.Duplicate), Is.EqualTo(2));
            Assert.That(otherMeter, Is.EqualTo(IncrementOutcome.Recorded), "keys are per account and meter, as for increments");
            Assert.That(usage.GetMeter(Seats).Quantity, Is.EqualTo(5), "the conflicting value changed nothing");
            Assert.That(usage.GetMeter(Peak).Quantity, Is.EqualTo(11));
            Assert.That(usage.GetMeter(PlanSeats).Quantity, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task BadInput_NegativeOrOversizedValue_SetOnASum_IncrementOnAGauge_UnknownMeter_StoresNothing()
    {
        var provider = BuildProvider();
        var meter = provider.GetRequiredService<IUsageMeter>();
        Clock.SetUtcNow(Day0.AddHours(3));

        var negative = Assert.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", -1, Seats));
        var oversized = Assert.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", UsageBillingOptions.MaxCounterQuantity + 1, Peak));
        var setOnSum = Assert.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", 4, ApiCalls));
        var setOnDefault = Assert.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", 4));
        var incrementOnGauge = Assert.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", 1, Seats));
        var unknown = Assert.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", 4, "no_such_meter"));
        await meter.SetAsync("acct", 1, Seats, timestamp: Day0.AddHours(1)); // the meter still works, and this proves the table is read

        var usage = await meter.GetAsync("acct", Day0.AddYears(-1), Day0.AddYears(1));
        Assert.Multiple(async () =>
        {
            Assert.That(negative!.ParamName, Is.EqualTo("value"));
            Assert.That(negative.Message, Does.Contain("at least 0"));
            Assert.That(oversized!.ParamName, Is.EqualTo("value"));
            Assert.That(setOnSum!.ParamName, Is.EqualTo("meter"));
            Assert.That(setOnSum.Message, Does.Contain("IncrementAsync"), "says what to call instead");
            Assert.That(setOnDefault!.ParamName, Is.EqualTo("meter"), "the default meter is a sum");
            Assert.That(incrementOnGauge!.ParamName, Is.EqualTo("meter"));
            Assert.That(incrementOnGauge.Message, Does.Contain("SetAsync"), "says what to call instead");
            Assert.That(unknown!.ParamName, Is.EqualTo("meter"));
            Assert.That(usage.Meters, Is.EqualTo(new[] { new MeterUsage(Seats, 1) { Kind = MeterKind.Last, PendingQuantity = 1 } }), "only the valid reading");
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_gauge")}"), Is.EqualTo(1));
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_counter")}"), Is.Zero);
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_idempotency_hash")}"), Is.Zero);
        });
    }
}
