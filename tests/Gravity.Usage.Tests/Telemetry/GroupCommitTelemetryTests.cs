using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gravity.Usage.Tests.Telemetry;

public sealed class GroupCommitTelemetryTests
{
    private TelemetryScope _telemetry = null!;

    [SetUp]
    public void SetUp() => _telemetry = new TelemetryScope();

    [TearDown]
    public void TearDown() => _telemetry.Dispose();

    [Test]
    public async Task IncrementAsync_EveryOutcome_IsCountedByMeterAndOutcome()
    {
        var increments = _telemetry.Collect<long>("gravity.usage.increments");
        var store = new GateStore
        {
            Answer = i => i.IdempotencyKey switch
            {
                "seen" => UsageWriteStatus.Duplicate,
                "huge" => UsageWriteStatus.WouldOverflow,
                _ => UsageWriteStatus.Recorded,
            },
        };
        store.Open();
        await using var meter = UsageMeterTests.CreateMeter(store, meterFactory: _telemetry.MeterFactory);

        await meter.IncrementAsync("acct", 2);
        await meter.IncrementAsync("acct", meter: "api_calls");
        await meter.IncrementAsync("acct", meter: "api_calls", idempotencyKey: "seen");
        Assert.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", idempotencyKey: "huge"));
        store.FailWith = new InvalidOperationException("disk full");
        Assert.ThrowsAsync<InvalidOperationException>(() => meter.IncrementAsync("acct", meter: "api_calls"));

        Assert.That(
            increments.GetMeasurementSnapshot().Select(m => (m.Value, Tag(m, "gravity.usage.meter"), Tag(m, "gravity.usage.outcome"))),
            Is.EqualTo(new[]
            {
                (1L, "usage", "recorded"),
                (1L, "api_calls", "recorded"),
                (1L, "api_calls", "duplicate"),
                (1L, "usage", "refused"),
                (1L, "api_calls", "failed"),
            }));
    }

    [Test]
    public async Task IncrementAsync_GroupCommit_RecordsBatchSizeAndCommitDuration()
    {
        var batchSizes = _telemetry.Collect<int>("gravity.usage.commit.batch_size");
        var durations = _telemetry.Collect<double>("gravity.usage.commit.duration");
        var store = new GateStore();
        await using var meter = UsageMeterTests.CreateMeter(store, meterFactory: _telemetry.MeterFactory);
        var first = meter.IncrementAsync("acct_0");
        await store.FirstBatchEntered;
        var waiting = Enumerable.Range(1, 50).Select(i => meter.IncrementAsync($"acct_{i}")).ToArray();
        await Task.Delay(50); // the second batch is drained only once the first commits
        store.Open(1);
        await first;
        store.FailWith = new InvalidOperationException("disk full");
        store.Open();
        foreach (var task in waiting)
        {
            Assert.ThrowsAsync<InvalidOperationException>(() => task);
        }

        Assert.Multiple(() =>
        {
            Assert.That(batchSizes.GetMeasurementSnapshot().Select(m => m.Value), Is.EqualTo(new[] { 1, 50 }));
            var commits = durations.GetMeasurementSnapshot();
            Assert.That(commits.Select(m => Tag(m, "gravity.usage.outcome")), Is.EqualTo(new[] { "committed", "failed" }));
            Assert.That(commits.Select(m => m.Value), Is.All.GreaterThanOrEqualTo(0.0).And.All.LessThan(60.0));
            Assert.That(commits[0].Value, Is.GreaterThanOrEqualTo(0.04), "the first commit waited at the gate for 50 ms");
            Assert.That(durations.Instrument!.Unit, Is.EqualTo("s"));
        });
    }

    [Test]
    public async Task IncrementAsync_WhileACommitIsInProgress_QueueDepthRisesThenFallsToZero()
    {
        var depth = _telemetry.Collect<long>("gravity.usage.queue.depth");
        var store = new GateStore();
        await using var meter = UsageMeterTests.CreateMeter(store, meterFactory: _telemetry.MeterFactory);
        var first = meter.IncrementAsync("acct_0");
        await store.FirstBatchEntered;
        var waiting = Enumerable.Range(1, 20).Select(i => meter.IncrementAsync($"acct_{i}")).ToArray();

        var queued = depth.GetMeasurementSnapshot().Sum(m => m.Value);
        store.Open();
        await Task.WhenAll(waiting.Append(first));

        Assert.Multiple(() =>
        {
            Assert.That(queued, Is.EqualTo(20), "the first increment left the queue for its commit; twenty wait behind it");
            Assert.That(depth.GetMeasurementSnapshot().Sum(m => m.Value), Is.Zero);
        });
    }

    [Test]
    public async Task IncrementAsync_TwoMeterFactories_MeasurementsStayInTheFactoryThatCreatedTheMeter()
    {
        using var other = new TelemetryScope();
        var mine = _telemetry.Collect<long>("gravity.usage.increments");
        var theirs = other.Collect<long>("gravity.usage.increments");
        var store = new GateStore();
        store.Open();
        await using var meter = UsageMeterTests.CreateMeter(store, meterFactory: _telemetry.MeterFactory);

        await meter.IncrementAsync("acct");

        Assert.Multiple(() =>
        {
            Assert.That(mine.GetMeasurementSnapshot(), Has.Count.EqualTo(1));
            Assert.That(theirs.GetMeasurementSnapshot(), Is.Empty);
            Assert.That(mine.Instrument!.Meter.Name, Is.EqualTo(UsageTelemetry.MeterName));
            Assert.That(mine.Instrument.Meter.Version, Is.EqualTo(typeof(UsageMeter).Assembly.GetName().Version!.ToString()));
        });
    }

    [Test]
    public async Task IncrementAsync_GroupCommit_IsASpanWithItsBatchSize()
    {
        using var spans = new SpanRecorder();
        var store = new GateStore();
        store.Open();
        await using var meter = UsageMeterTests.CreateMeter(store, meterFactory: _telemetry.MeterFactory);

        await meter.IncrementAsync("acct_span_test");

        var commit = spans.Named("usage.group_commit").Single();
        Assert.Multiple(() =>
        {
            Assert.That(commit.Source.Name, Is.EqualTo(UsageTelemetry.ActivitySourceName));
            Assert.That(commit.GetTagItem("gravity.usage.commit.batch_size"), Is.EqualTo(1));
            Assert.That(commit.GetTagItem("gravity.usage.outcome"), Is.EqualTo("committed"));
        });
    }

    internal static string? Tag<T>(CollectedMeasurement<T> measurement, string name)
        where T : struct =>
        measurement.Tags.TryGetValue(name, out var value) ? value as string : null;
}
