using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Stripe;

/// <summary>Creates the Stripe sink that <see cref="StripeOptions.Api"/> chooses.</summary>
public static class StripeSinks
{
    /// <summary>
    /// Creates a <see cref="StripeMeterEventSink"/>, a <see cref="StripeMeterEventStreamSink"/> or a
    /// <see cref="StripeUsageRecordSink"/>. The sink is <see cref="IDisposable"/>: dispose it (a DI container does)
    /// to release the HTTP client it created.
    /// </summary>
    /// <param name="options">The Stripe options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock of the pacing; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Creates the sink's logger; nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">
    /// Creates the <see cref="UsageTelemetry.MeterName"/> meter Stripe calls are measured on; one shared static meter when <see langword="null"/>.
    /// </param>
    /// <returns>The sink.</returns>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public static IUsageSink Create(StripeOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Api switch
        {
            StripeUsageApi.LegacyUsageRecords => new StripeUsageRecordSink(options, timeProvider, loggerFactory?.CreateLogger<StripeUsageRecordSink>(), meterFactory),
            StripeUsageApi.MeterEventStream => new StripeMeterEventStreamSink(options, timeProvider, loggerFactory?.CreateLogger<StripeMeterEventStreamSink>(), meterFactory),
            _ => new StripeMeterEventSink(options, timeProvider, loggerFactory?.CreateLogger<StripeMeterEventSink>(), meterFactory),
        };
    }
}
