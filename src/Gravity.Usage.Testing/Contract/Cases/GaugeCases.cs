using Microsoft.Extensions.Options;

namespace Gravity.Usage.Testing.Contract;

/// <summary>Gauge readings (Last, Max, LastEver): what each kind reads back, idempotency keys, and bad input that stores nothing.</summary>
internal sealed class GaugeCases(ContractRun run) : ContractSteps(run)
{
    private const string Seats = "seats";
    private const string Peak = "peak";
    private const string PlanSeats = "plan_seats";

    /// <summary>Midnight UTC after the instant the clock starts at (a fake clock only moves forward).</summary>
    private static readonly DateTimeOffset Day0 = new(Start.Date.AddDays(1), TimeSpan.Zero);

    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<GaugeCases>("GetAsync_ReturnsPerMeterTheAggregateItBills_AndTheSeriesEachBucketsValue", c => c.AggregatesAndSeriesAsync()),
        Case<GaugeCases>("SetAsync_SameIdempotencyKeyAgain_ARetryIsADuplicateAndOtherContentAConflict", c => c.IdempotencyAsync()),
        Case<GaugeCases>("SetAsync_NegativeOrOversizedValue_SetOnASum_IncrementOnAGauge_UnknownMeter_StoresNothing", c => c.BadInputAsync()),
    ];

    private async Task AggregatesAndSeriesAsync()
    {
        var meter = CreateGaugeMeter();
        Clock.SetUtcNow(Day0.AddHours(8));
        await meter.IncrementAsync("acct", 3, ApiCalls, timestamp: Day0.AddHours(2), cancellationToken: Cancellation);
        await meter.IncrementAsync("acct", 4, ApiCalls, timestamp: Day0.AddHours(5), cancellationToken: Cancellation);
        await meter.SetAsync("acct", 0, Seats, timestamp: Day0.AddHours(1), cancellationToken: Cancellation);           // 0 is a value
        await meter.SetAsync("acct", 9, Seats, timestamp: Day0.AddHours(2), cancellationToken: Cancellation);
        await meter.SetAsync("acct", 4, Seats, timestamp: Day0.AddHours(5), cancellationToken: Cancellation);
        await meter.SetAsync("acct", 7, Seats, timestamp: Day0.AddHours(4), cancellationToken: Cancellation);           // arrives late, older than 5h
        await meter.SetAsync("acct", 6, Peak, timestamp: Day0.AddHours(2), cancellationToken: Cancellation);
        await meter.SetAsync("acct", 8, Peak, timestamp: Day0.AddHours(3), cancellationToken: Cancellation);
        await meter.SetAsync("acct", 1, Peak, timestamp: Day0.AddHours(5), cancellationToken: Cancellation);
        await meter.SetAsync("acct", 20, PlanSeats, timestamp: Day0.AddHours(1), cancellationToken: Cancellation);
        await meter.SetAsync("acct", 25, PlanSeats, timestamp: Day0.AddHours(6), cancellationToken: Cancellation);

        var window = await meter.GetAsync("acct", Day0.AddHours(2), Day0.AddHours(6), cancellationToken: Cancellation);
        var afterReadings = await meter.GetAsync("acct", Day0.AddHours(7), Day0.AddHours(8), cancellationToken: Cancellation);
        var beforeAny = await meter.GetAsync("acct", Day0, Day0.AddHours(1), cancellationToken: Cancellation);
        var zero = await meter.GetAsync("acct", Day0.AddHours(1), Day0.AddHours(2), Seats, Cancellation);
        var seats = await meter.GetSeriesAsync("acct", Day0, Day0.AddDays(1), Seats, Cancellation);
        var peak = await meter.GetSeriesAsync("acct", Day0, Day0.AddDays(1), Peak, Cancellation);

        Check.Equal(
            new[]
            {
                new MeterUsage(ApiCalls, 7) { PendingQuantity = 7 },
                new MeterUsage(Peak, 8) { Kind = MeterKind.Max, PendingQuantity = 8 },
                new MeterUsage(PlanSeats, 20) { Kind = MeterKind.LastEver, PendingQuantity = 20 },
                new MeterUsage(Seats, 4) { Kind = MeterKind.Last, PendingQuantity = 4 },
            },
            window.Meters,
            "a window's usage: sum; highest; latest before the window's end (from before the window); latest by timestamp");
        Check.Equal(new[] { new MeterUsage(PlanSeats, 25) { Kind = MeterKind.LastEver, PendingQuantity = 25 } }, afterReadings.Meters, "a window after the readings: only LastEver carries into it");
        Check.Empty(beforeAny.Meters, "a window before the first reading: nothing, not even LastEver");
        Check.Equal(new[] { new MeterUsage(Seats, 0) { Kind = MeterKind.Last } }, zero.Meters, "a window whose reading is 0: a reading of 0 is a value");
        Check.Equal(
            new[] { (Day0.AddHours(1), 0L), (Day0.AddHours(2), 9L), (Day0.AddHours(4), 7L), (Day0.AddHours(5), 4L) },
            seats.Select(b => (b.BucketStart, b.Quantity)),
            "the Last gauge's series: each bucket's value");
        Check.Equal(new[] { 6L, 8L, 1L }, peak.Select(b => b.Quantity), "the Max gauge's series");
        Check.All(peak.Select(b => b.ReportedQuantity), 0L, "the Max gauge's reported quantities: not reported yet");
    }

    private async Task IdempotencyAsync()
    {
        var meter = CreateGaugeMeter();
        Clock.SetUtcNow(Day0.AddHours(3));

        var first = await meter.SetAsync("acct", 5, Seats, idempotencyKey: "req-1", timestamp: Day0.AddHours(1), cancellationToken: Cancellation);
        var retried = await meter.SetAsync("acct", 5, Seats, idempotencyKey: "req-1", timestamp: Day0.AddHours(1), cancellationToken: Cancellation);
        await Check.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.SetAsync("acct", 9, Seats, idempotencyKey: "req-1", timestamp: Day0.AddHours(1), cancellationToken: Cancellation), "the key again with another value: refused, not silently dropped");
        var together = await Task.WhenAll(
            meter.SetAsync("acct", 11, Peak, idempotencyKey: "req-2", timestamp: Day0.AddHours(2), cancellationToken: Cancellation),
            meter.SetAsync("acct", 11, Peak, idempotencyKey: "req-2", timestamp: Day0.AddHours(2), cancellationToken: Cancellation),
            meter.SetAsync("acct", 11, Peak, idempotencyKey: "req-2", timestamp: Day0.AddHours(2), cancellationToken: Cancellation));
        var otherMeter = await meter.SetAsync("acct", 2, PlanSeats, idempotencyKey: "req-1", cancellationToken: Cancellation);

        var usage = await meter.GetAsync("acct", Day0, Day0.AddDays(1), cancellationToken: Cancellation);
        Check.Equal(IncrementOutcome.Recorded, first, "the first reading");
        Check.Equal(IncrementOutcome.Duplicate, retried, "its retry");
        Check.Equal(1, together.Count(o => o == IncrementOutcome.Recorded), "three concurrent retries recorded");
        Check.Equal(2, together.Count(o => o == IncrementOutcome.Duplicate), "three concurrent retries found duplicate");
        Check.Equal(IncrementOutcome.Recorded, otherMeter, "the key on another meter: keys are per account and meter, as for increments");
        Check.Equal(5L, usage.GetMeter(Seats).Quantity, "seats: the conflicting value changed nothing");
        Check.Equal(11L, usage.GetMeter(Peak).Quantity, "peak");
        Check.Equal(2L, usage.GetMeter(PlanSeats).Quantity, "plan seats");
    }

    private async Task BadInputAsync()
    {
        var meter = CreateGaugeMeter();
        Clock.SetUtcNow(Day0.AddHours(3));

        var negative = await Check.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", -1, Seats, cancellationToken: Cancellation), "a negative reading");
        var oversized = await Check.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", Cap + 1, Peak, cancellationToken: Cancellation), "a reading above MaxCounterQuantity");
        var setOnSum = await Check.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", 4, ApiCalls, cancellationToken: Cancellation), "a reading on a sum meter");
        var setOnDefault = await Check.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", 4, cancellationToken: Cancellation), "a reading on the default meter");
        var incrementOnGauge = await Check.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", 1, Seats, cancellationToken: Cancellation), "an increment on a gauge");
        var unknown = await Check.ThrowsAsync<UsageInputException>(() => meter.SetAsync("acct", 4, "no_such_meter", cancellationToken: Cancellation), "a reading on an undeclared meter");
        await meter.SetAsync("acct", 1, Seats, timestamp: Day0.AddHours(1), cancellationToken: Cancellation); // the meter still works, and this proves the readings are read

        var usage = await meter.GetAsync("acct", Day0.AddYears(-1), Day0.AddYears(1), cancellationToken: Cancellation);
        Check.Equal(("value", "value"), (negative.ParamName, oversized.ParamName), "the value refusals' ParamNames");
        Check.Contains(negative.Message, "at least 0", "the negative reading's refusal");
        Check.Equal(("meter", "meter", "meter", "meter"), (setOnSum.ParamName, setOnDefault.ParamName, incrementOnGauge.ParamName, unknown.ParamName), "the meter refusals' ParamNames (the default meter is a sum)");
        Check.Contains(setOnSum.Message, "IncrementAsync", "the reading on a sum's refusal says what to call instead");
        Check.Contains(incrementOnGauge.Message, "SetAsync", "the increment on a gauge's refusal says what to call instead");
        Check.Equal(new[] { new MeterUsage(Seats, 1) { Kind = MeterKind.Last, PendingQuantity = 1 } }, usage.Meters, "usage stored: only the valid reading");
        await CheckKeyCountAsync(0, "keys stored");
    }

    /// <summary>A meter with a sum and one gauge of each kind on the case's store; disposed before the store.</summary>
    private UsageMeter CreateGaugeMeter()
    {
        var options = new UsageBillingOptions();
        options.Meters[ApiCalls] = new MeterOptions();
        options.Meters[Seats] = new MeterOptions { Kind = MeterKind.Last };
        options.Meters[Peak] = new MeterOptions { Kind = MeterKind.Max };
        options.Meters[PlanSeats] = new MeterOptions { Kind = MeterKind.LastEver };
        return Run.Track(new UsageMeter(Store.Ledger, Options.Create(options), Clock));
    }
}
