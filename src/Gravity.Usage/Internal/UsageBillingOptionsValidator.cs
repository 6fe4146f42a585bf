using System.Globalization;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Internal;

/// <summary>Checks <see cref="UsageBillingOptions"/> and lists every failure at once.</summary>
internal sealed class UsageBillingOptionsValidator : IValidateOptions<UsageBillingOptions>
{
    /// <summary>
    /// Stripe refuses meter events older than 35 days; a day of that is kept for reporting, so that backdated usage can
    /// still be delivered after it is recorded.
    /// </summary>
    private static readonly TimeSpan s_backdateLimit = TimeSpan.FromDays(34);

    public ValidateOptionsResult Validate(string? name, UsageBillingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var bucket = options.BucketSize;
        if (bucket < TimeSpan.FromMinutes(1) || bucket > TimeSpan.FromDays(1)
            || bucket.Ticks % TimeSpan.TicksPerSecond != 0 || TimeSpan.TicksPerDay % bucket.Ticks != 0)
        {
            failures.Add(Invariant($"{nameof(UsageBillingOptions.BucketSize)} must be whole seconds, at least 1 minute and divide a day evenly; it is {bucket}."));
        }

        if (options.MaxIncrementQuantity is < 1 or > UsageBillingOptions.MaxCounterQuantity)
        {
            failures.Add(Invariant($"{nameof(UsageBillingOptions.MaxIncrementQuantity)} must be at least 1 and at most {UsageBillingOptions.MaxCounterQuantity} (the most a counter may hold; Stripe accepts values of at most 15 digits); it is {options.MaxIncrementQuantity}."));
        }

        if (options.MaxBackdate <= TimeSpan.Zero || options.MaxBackdate > s_backdateLimit)
        {
            failures.Add(Invariant($"{nameof(UsageBillingOptions.MaxBackdate)} must be positive and at most 34 days (Stripe accepts no usage older than 35 days, and reporting needs time); it is {options.MaxBackdate}."));
        }

        if (options.IdempotencyKeyRetention < TimeSpan.FromHours(1) || options.IdempotencyKeyRetention > TimeSpan.FromDays(35))
        {
            failures.Add(Invariant($"{nameof(UsageBillingOptions.IdempotencyKeyRetention)} must be at least 1 hour and at most 35 days (Stripe accepts no usage older than 35 days, so a later retry could not be billed anyway); it is {options.IdempotencyKeyRetention}."));
        }

        if (options.MaxBatchSize is < 1 or > 65_536)
        {
            failures.Add(Invariant($"{nameof(UsageBillingOptions.MaxBatchSize)} must be between 1 and 65536; it is {options.MaxBatchSize}."));
        }

        if (options.QueueCapacity < options.MaxBatchSize)
        {
            failures.Add(Invariant($"{nameof(UsageBillingOptions.QueueCapacity)} must be at least {nameof(UsageBillingOptions.MaxBatchSize)} ({options.MaxBatchSize}); it is {options.QueueCapacity}."));
        }

        if (options.BillingCycleRefreshInterval < TimeSpan.FromSeconds(1) || options.BillingCycleRefreshInterval > TimeSpan.FromDays(1))
        {
            failures.Add(Invariant($"{nameof(UsageBillingOptions.BillingCycleRefreshInterval)} must be at least 1 second and at most 1 day; it is {options.BillingCycleRefreshInterval}."));
        }

        if (UsageRules.DescribeInvalidMeterName(options.DefaultMeter) is { } defaultProblem)
        {
            failures.Add($"{nameof(UsageBillingOptions.DefaultMeter)}: {defaultProblem}");
        }

        foreach (var (meter, meterOptions) in options.Meters)
        {
            if (UsageRules.DescribeInvalidMeterName(meter) is { } problem)
            {
                failures.Add($"{nameof(UsageBillingOptions.Meters)}: {problem}");
            }

            var eventName = meterOptions?.StripeEventName;
            if (eventName is not null && UsageRules.DescribeInvalidIdentifier(eventName, "A Stripe event name", UsageRules.MaxMeterLength) is { } eventProblem)
            {
                failures.Add($"{nameof(UsageBillingOptions.Meters)}['{meter}'].{nameof(MeterOptions.StripeEventName)}: {eventProblem}");
            }

            if (meterOptions is not null && !Enum.IsDefined(meterOptions.Kind))
            {
                failures.Add(Invariant($"{nameof(UsageBillingOptions.Meters)}['{meter}'].{nameof(MeterOptions.Kind)} must be Sum, Last, Max or LastEver; it is {(int)meterOptions.Kind}."));
            }
        }

        failures.AddRange(DescribeSharedGaugeEvents(options));

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// A gauge's Stripe meter aggregates with <c>last</c>: every event on it replaces the one before. Another meter
    /// reporting under the same event name (a sum's deltas, another gauge's values) would replace the gauge's value on
    /// the invoice, or be replaced by it, so a gauge must have its Stripe event name to itself. Sums may share one
    /// (a <c>sum</c> meter adds them up).
    /// </summary>
    private static IEnumerable<string> DescribeSharedGaugeEvents(UsageBillingOptions options)
    {
        var meters = options.Meters.Select(m => (Meter: m.Key, EventName: m.Value?.StripeEventName ?? m.Key, Kind: m.Value?.Kind ?? MeterKind.Sum)).ToList();
        if (options.DefaultMeter is { } defaultMeter && !options.Meters.ContainsKey(defaultMeter))
        {
            meters.Add((defaultMeter, defaultMeter, MeterKind.Sum));
        }

        foreach (var shared in meters.GroupBy(m => m.EventName, StringComparer.Ordinal).Where(g => g.Count() > 1 && g.Any(m => m.Kind != MeterKind.Sum)))
        {
            var names = string.Join(", ", shared.Select(m => $"'{m.Meter}' ({m.Kind})").Order(StringComparer.Ordinal));
            yield return $"{nameof(UsageBillingOptions.Meters)}: the meters {names} all report under the Stripe event name '{shared.Key}'; a gauge (Last, Max, LastEver) needs a Stripe meter of its own, since its 'last' aggregation keeps only the latest event. Give each gauge its own {nameof(MeterOptions.StripeEventName)}.";
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
