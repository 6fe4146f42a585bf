using Microsoft.Extensions.Options;
using Moq;

namespace Gravity.Usage.Tests;

public sealed class UsageMeterTests
{
    private static readonly DateTimeOffset s_dayStart = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task IncrementAsync_Defaults_WritesOneUnitOfTheDefaultMeterInTheCurrentHour()
    {
        var written = new List<UsageIncrement>();
        await using var meter = CreateMeter(RecordingStore(written).Object);

        var outcome = await meter.IncrementAsync("acct_42");

        Assert.That(outcome, Is.EqualTo(IncrementOutcome.Recorded));
        Assert.That(written, Is.EqualTo(new[]
        {
            new UsageIncrement("acct_42", "usage", new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero), 1, null, TestClock.Now),
        }));
    }

    [Test]
    public async Task IncrementAsync_TimestampInOtherOffset_IsBucketedInUtc()
    {
        var written = new List<UsageIncrement>();
        await using var meter = CreateMeter(RecordingStore(written).Object, o => o.BucketSize = TimeSpan.FromMinutes(15));
        var localTime = new DateTimeOffset(2026, 11, 21, 11, 44, 59, TimeSpan.FromHours(2)); // 09:44:59 UTC

        await meter.IncrementAsync("acct", 3, "api_calls", "req-1", localTime);

        Assert.That(written.Single().BucketStart, Is.EqualTo(new DateTimeOffset(2026, 11, 21, 9, 30, 0, TimeSpan.Zero)));
        Assert.That(written.Single().BucketStart.Offset, Is.EqualTo(TimeSpan.Zero));
        Assert.That(written.Single().IdempotencyKey, Is.EqualTo("req-1"));
    }

    [Test]
    public async Task IncrementAsync_StoreReportsDuplicate_ReturnsDuplicate()
    {
        var store = new Mock<IUsageStore>();
        store.Setup(s => s.WriteAsync(It.IsAny<IReadOnlyList<UsageIncrement>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyList<UsageIncrement> batch, CancellationToken _) => batch.Select(_ => UsageWriteStatus.Duplicate).ToArray());
        await using var meter = CreateMeter(store.Object);

        Assert.That(await meter.IncrementAsync("acct", idempotencyKey: "k"), Is.EqualTo(IncrementOutcome.Duplicate));
    }

    [Test]
    public async Task IncrementAsync_StoreReportsOverflow_ThrowsNamingQuantity()
    {
        var store = new Mock<IUsageStore>();
        store.Setup(s => s.WriteAsync(It.IsAny<IReadOnlyList<UsageIncrement>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyList<UsageIncrement> batch, CancellationToken _) => batch.Select(_ => UsageWriteStatus.WouldOverflow).ToArray());
        await using var meter = CreateMeter(store.Object);

        var ex = Assert.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", 5));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("quantity"));
            Assert.That(ex.Message, Does.Contain("nothing was recorded"));
        });
    }

    [Test]
    public async Task GetAsync_PassesPeriodAndMeterToStore_AndWrapsTotals()
    {
        var store = new Mock<IUsageStore>(MockBehavior.Strict);
        var totals = new[] { new MeterUsage("api_calls", 10) { SentQuantity = 4, PendingQuantity = 6 } };
        store.Setup(s => s.GetTotalsAsync("acct", s_dayStart, s_dayStart.AddDays(1), "api_calls", It.IsAny<CancellationToken>()))
            .ReturnsAsync(totals);
        await using var meter = CreateMeter(store.Object);

        var summary = await meter.GetAsync("acct", s_dayStart, s_dayStart.AddDays(1), "api_calls");

        Assert.Multiple(() =>
        {
            Assert.That(summary.Account, Is.EqualTo("acct"));
            Assert.That(summary.Meters, Is.EqualTo(totals));
            Assert.That(summary.GetMeter("api_calls").PendingQuantity, Is.EqualTo(6));
            Assert.That(summary.GetMeter("usage"), Is.EqualTo(new MeterUsage("usage", 0)));
        });
    }

    [Test]
    public async Task GetSeriesAsync_NoMeter_ReadsDefaultMeter()
    {
        var store = new Mock<IUsageStore>(MockBehavior.Strict);
        store.Setup(s => s.GetSeriesAsync("acct", s_dayStart, s_dayStart.AddDays(1), "usage", It.IsAny<CancellationToken>()))
            .ReturnsAsync(new[] { new UsageBucket(s_dayStart, 2, 0) });
        await using var meter = CreateMeter(store.Object);

        var series = await meter.GetSeriesAsync("acct", s_dayStart, s_dayStart.AddDays(1));

        Assert.That(series, Has.Count.EqualTo(1));
    }

    [Test]
    public void Constructor_InvalidOptions_ListsEveryFailure()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CreateMeter(
            Mock.Of<IUsageStore>(),
            o =>
            {
                o.BucketSize = TimeSpan.FromMinutes(7);
                o.MaxBatchSize = 0;
            }));
        Assert.That(ex!.Failures.Count(), Is.EqualTo(2));
    }

    internal static UsageMeter CreateMeter(IUsageStore store, Action<UsageBillingOptions>? configure = null, System.Diagnostics.Metrics.IMeterFactory? meterFactory = null)
    {
        var options = new UsageBillingOptions();
        options.Meters["api_calls"] = new MeterOptions();
        configure?.Invoke(options);
        return new UsageMeter(store, Options.Create(options), TestClock.At(TestClock.Now), meterFactory: meterFactory);
    }

    private static Mock<IUsageStore> RecordingStore(List<UsageIncrement> written)
    {
        var store = new Mock<IUsageStore>();
        store.Setup(s => s.WriteAsync(It.IsAny<IReadOnlyList<UsageIncrement>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyList<UsageIncrement> batch, CancellationToken _) =>
            {
                lock (written)
                {
                    written.AddRange(batch);
                }

                return batch.Select(_ => UsageWriteStatus.Recorded).ToArray();
            });
        return store;
    }
}
