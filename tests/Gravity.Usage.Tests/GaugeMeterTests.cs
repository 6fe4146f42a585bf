using Gravity.Usage.Internal;
using Microsoft.Extensions.Options;
using Moq;

namespace Gravity.Usage.Tests;

/// <summary>UsageMeter's gauge calls against a mocked store: what reaches the store, and what never does.</summary>
public sealed class GaugeMeterTests
{
    private Mock<IUsageStore> _store = null!;
    private UsageMeter _meter = null!;

    [SetUp]
    public void SetUp()
    {
        // Strict: a refused call that reached the store would fail the test.
        _store = new Mock<IUsageStore>(MockBehavior.Strict);
        var options = new UsageBillingOptions();
        options.Meters["api_calls"] = new MeterOptions();
        options.Meters["seats"] = new MeterOptions { Kind = MeterKind.Last };
        options.Meters["peak"] = new MeterOptions { Kind = MeterKind.Max };
        _meter = new UsageMeter(_store.Object, Options.Create(options), TestClock.At(TestClock.Now));
    }

    [TearDown]
    public async Task TearDown() => await _meter.DisposeAsync();

    [Test]
    public async Task SetAsync_OnAGauge_HandsTheStoreAReadingWithItsKindAndTimestamp()
    {
        List<UsageIncrement>? written = null;
        _store.Setup(s => s.WriteAsync(It.IsAny<IReadOnlyList<UsageIncrement>>(), It.IsAny<CancellationToken>()))
            .Callback<IReadOnlyList<UsageIncrement>, CancellationToken>((batch, _) => written = batch.ToList())
            .ReturnsAsync([UsageWriteStatus.Recorded]);
        _store.Setup(s => s.PruneIdempotencyKeysAsync(It.IsAny<DateTimeOffset>(), It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(0);
        var at = TestClock.Now.AddMinutes(-75).AddSeconds(7);

        var outcome = await _meter.SetAsync("acct", 0, "peak", idempotencyKey: "k", timestamp: at);

        Assert.Multiple(() =>
        {
            Assert.That(outcome, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(written, Has.Count.EqualTo(1));
            var reading = written![0];
            Assert.That((reading.Kind, reading.Quantity, reading.ObservedAt, reading.IdempotencyKey, reading.IsReading), Is.EqualTo((MeterKind.Max, 0L, at, "k", true)));
            Assert.That(reading.BucketStart, Is.EqualTo(new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, 0, 0, TimeSpan.Zero)));
        });
    }

    [Test]
    public void SetAsync_NegativeValue_IsRefusedNamingValue()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.SetAsync("acct", -5, "seats"));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("value"));
            Assert.That(ex.Message, Does.Contain("at least 0"));
        });
    }

    [Test]
    public void SetAsync_OnASumMeter_IsRefusedNamingMeterAndIncrementAsync()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.SetAsync("acct", 3, "api_calls"));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("meter"));
            Assert.That(ex.Message, Does.Contain("IncrementAsync").And.Contain("Sum"));
        });
    }

    [Test]
    public void IncrementAsync_OnAGauge_IsRefusedNamingMeterAndSetAsync()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.IncrementAsync("acct", 1, "seats"));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("meter"));
            Assert.That(ex.Message, Does.Contain("SetAsync").And.Contain("Last"));
        });
    }

    [Test]
    public void RecordAsync_AnIncrementPartOnAGauge_RefusesTheWholeCallNamingParts()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.RecordAsync("acct", [UsagePart.Increment("api_calls", 1), UsagePart.Increment("seats", 2)]));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("parts"));
            Assert.That(ex.Message, Does.Contain("parts[1]").And.Contain("SetAsync"));
        });
    }

    [Test]
    public void CorrectAsync_OnAGauge_IsRefusedNamingMeterAndSetAsync()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.CorrectAsync("acct", -1, "seats", TestClock.Now, "typo", "fix-1"));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("meter"));
            Assert.That(ex.Message, Does.Contain("SetAsync"));
        });
    }

    [Test]
    public void SetAsync_UndeclaredMeter_IsRefusedNamingMeter()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.SetAsync("acct", 3, "storage"));
        Assert.That(ex!.ParamName, Is.EqualTo("meter"));
    }

    [Test]
    public void DescribeInvalidIncrement_QuantityZero_AllowedForAReadingRefusedForAnIncrement()
    {
        var reading = new UsageIncrement("a", "seats", TestClock.Now, 0, null, TestClock.Now) { Kind = MeterKind.Last, ObservedAt = TestClock.Now };
        var increment = reading with { Kind = MeterKind.Sum };
        var undefined = reading with { Kind = (MeterKind)9 };
        Assert.Multiple(() =>
        {
            Assert.That(UsageRules.DescribeInvalidIncrement([reading]), Is.Null);
            Assert.That(UsageRules.DescribeInvalidIncrement([increment]), Does.Contain("at least 1"));
            Assert.That(UsageRules.DescribeInvalidIncrement([undefined]), Does.Contain("kind"));
        });
    }
}
