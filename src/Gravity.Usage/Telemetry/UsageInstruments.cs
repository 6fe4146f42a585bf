using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using DiagnosticsMeterOptions = System.Diagnostics.Metrics.MeterOptions;

namespace Gravity.Usage.Telemetry;

/// <summary>The instruments of the <c>Gravity.Usage</c> meter, created once per <see cref="IMeterFactory"/> (or once without one).</summary>
/// <remarks>
/// With DI's <see cref="IMeterFactory"/> the meter belongs to the container, so a test's <c>MetricCollector</c> sees
/// only its own container's measurements and disposing the container disposes the meter. Without a factory, one static
/// meter serves every instance.
/// </remarks>
internal sealed class UsageInstruments
{
    /// <summary>The version both the meter and the activity source carry: the assembly's.</summary>
    internal static readonly string? Version = typeof(UsageInstruments).Assembly.GetName().Version?.ToString();

    // Buckets for durations from a local SQLite fsync (a millisecond) to a slow Stripe call with retries (tens of seconds).
    private static readonly double[] s_durationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    // Batch sizes grow in powers of two up to the largest MaxBatchSize in use.
    private static readonly int[] s_batchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];

    private static readonly ConditionalWeakTable<IMeterFactory, UsageInstruments> s_perFactory = [];

    private static readonly Lazy<UsageInstruments> s_shared = new(() => new UsageInstruments(new Meter(UsageTelemetry.MeterName, Version)));

    private UsageInstruments(Meter meter)
    {
        Meter = meter;
        Increments = meter.CreateCounter<long>("gravity.usage.increments", "{increment}", "Increments that reached the writer, by meter and outcome: recorded, duplicate, refused (the store refused the content: counter overflow or bad data) or failed (the commit failed or its outcome is unknown).");
        QueueDepth = meter.CreateUpDownCounter<long>("gravity.usage.queue.depth", "{increment}", "Increments queued for a group commit and not yet committed.");
        BatchSize = meter.CreateHistogram("gravity.usage.commit.batch_size", "{increment}", "Increments per group commit.", tags: null, new InstrumentAdvice<int> { HistogramBucketBoundaries = s_batchBuckets });
        CommitDuration = meter.CreateHistogram("gravity.usage.commit.duration", "s", "Time one group commit took in the store, by outcome: committed, failed or unknown.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = s_durationBuckets });
        Reports = meter.CreateCounter<long>("gravity.usage.reports", "{report}", "Usage reports by what became of them in a reporting run: closed, skipped, sent, retried (failed transiently, waits for a retry), failed (parked as failed) or unknown (parked as unknown).");
        OldestClaimedAge = meter.CreateHistogram("gravity.usage.report.oldest_age", "s", "Per reporting run that claimed reports: how long ago the oldest of them was closed.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10, 60, 300, 900, 3600, 14400, 86400, 259200, 604800] });
        StripeDuration = meter.CreateHistogram("gravity.usage.stripe.request.duration", "s", "Time one Stripe call took through Stripe.net (its retries included), by API and outcome.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = s_durationBuckets });
    }

    /// <summary>Gets the instruments every instance without an <see cref="IMeterFactory"/> shares.</summary>
    public static UsageInstruments Shared => s_shared.Value;

    public Meter Meter { get; }

    public Counter<long> Increments { get; }

    public UpDownCounter<long> QueueDepth { get; }

    public Histogram<int> BatchSize { get; }

    public Histogram<double> CommitDuration { get; }

    public Counter<long> Reports { get; }

    public Histogram<double> OldestClaimedAge { get; }

    public Histogram<double> StripeDuration { get; }

    /// <summary>The instruments of <paramref name="factory"/>'s meter, created on first use; <see cref="Shared"/> without a factory.</summary>
    public static UsageInstruments For(IMeterFactory? factory) =>
        factory is null
            ? Shared
            : s_perFactory.GetValue(factory, f => new UsageInstruments(f.Create(new DiagnosticsMeterOptions(UsageTelemetry.MeterName) { Version = Version })));
}
