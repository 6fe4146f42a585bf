namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>Sinks that take many reports per request (the v2 meter event stream) get them in chunks of their size.</summary>
public sealed class BatchDeliveryTests : ReportingTest
{
    [Test]
    public async Task ReportAsync_BatchSink_GetsChunksOfAtMostItsSize_AndEachAnswerLandsOnItsReport()
    {
        for (var i = 0; i < 7; i++)
        {
            await MapAsync($"acct_{i}", $"cus_{i}");
            await Meter.IncrementAsync($"acct_{i}", i + 1, timestamp: Start.AddMinutes(5));
        }

        Sink.ForAccount("acct_3", SinkAction.Permanent("400 no such customer"));
        Sink.ForAccount("acct_5", SinkAction.Transient());
        var batches = new BatchingSink(Sink, maxBatchSize: 3);
        At(Hour);

        var run = await CreateReporter(o => o.MaxConcurrency = 1, sink: batches).ReportAsync();

        var reports = await ReportsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(batches.BatchSizes, Is.EqualTo(new[] { 3, 3, 1 }));
            Assert.That((run.Closed, run.Sent, run.Failed, run.WaitingForRetry), Is.EqualTo((7, 5, 1, 1)));
            Assert.That(reports.Single(r => r.Account == "acct_3").Status, Is.EqualTo(UsageReportStatus.Failed));
            Assert.That(reports.Single(r => r.Account == "acct_5").Status, Is.EqualTo(UsageReportStatus.Pending));
            Assert.That(Sink.Totals.Values.Sum(), Is.EqualTo(1 + 2 + 3 + 5 + 7));
        });
    }

    [Test]
    public async Task ReportAsync_BatchSinkThrows_EveryReportOfTheChunkWaitsForRetry()
    {
        await MapAsync("acct_a", "cus_a");
        await MapAsync("acct_b", "cus_b");
        await Meter.IncrementAsync("acct_a", 1, timestamp: Start.AddMinutes(5));
        await Meter.IncrementAsync("acct_b", 2, timestamp: Start.AddMinutes(5));
        var batches = new BatchingSink(Sink, maxBatchSize: 10) { Throw = true };
        At(Hour);

        var run = await CreateReporter(sink: batches).ReportAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((run.Sent, run.WaitingForRetry), Is.EqualTo((0, 2)));
            Assert.That((await ReportsAsync()).Select(r => r.Status), Is.All.EqualTo(UsageReportStatus.Pending));
        });
    }

    /// <summary>A sink taking several reports per call, answering each through the recording sink.</summary>
    private sealed class BatchingSink(RecordingSink inner, int maxBatchSize) : IUsageSink
    {
        private readonly List<int> _sizes = [];

        public int MaxBatchSize => maxBatchSize;

        public bool Throw { get; init; }

        public IReadOnlyList<int> BatchSizes
        {
            get
            {
                lock (_sizes)
                {
                    return [.. _sizes];
                }
            }
        }

        public Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("A batch sink is called with batches.");

        public async Task<IReadOnlyList<DeliveryResult>> DeliverBatchAsync(IReadOnlyList<UsageDelivery> deliveries, CancellationToken cancellationToken = default)
        {
            lock (_sizes)
            {
                _sizes.Add(deliveries.Count);
            }

            if (Throw)
            {
                throw new HttpRequestException("Connection reset");
            }

            var results = new List<DeliveryResult>();
            foreach (var delivery in deliveries)
            {
                results.Add(await inner.DeliverAsync(delivery, cancellationToken));
            }

            return results;
        }
    }
}
