using StripeNet = global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>What the reconciler reads from Stripe: meters, hourly meter event summaries and asynchronous meter errors.</summary>
public sealed partial class StripeUsageReconciler
{
    /// <summary>Stripe's meters by event name (one meter per event name).</summary>
    private async Task<Dictionary<string, StripeNet.Billing.Meter>> ReadStripeMetersAsync(CancellationToken cancellationToken)
    {
        // One turn of the pacing per listing (each is a page or a few): reads count against Stripe's rate limit too.
        await _transport.RequestPacer.WaitAsync(1, cancellationToken).ConfigureAwait(false);
        var service = new StripeNet.Billing.MeterService(_transport.Client);
        var meters = new Dictionary<string, StripeNet.Billing.Meter>(StringComparer.Ordinal);
        await foreach (var meter in service.ListAutoPagingAsync(new StripeNet.Billing.MeterListOptions { Limit = 100 }, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            meters.TryAdd(meter.EventName, meter);
        }

        return meters;
    }

    /// <summary>Stripe's hourly totals of one customer on one meter over the period.</summary>
    private async Task<IReadOnlyDictionary<DateTimeOffset, decimal>> ReadSummariesAsync(string meterId, string customer, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        // One turn of the pacing per listing (each is a page or a few): reads count against Stripe's rate limit too.
        await _transport.RequestPacer.WaitAsync(1, cancellationToken).ConfigureAwait(false);
        var service = new StripeNet.Billing.MeterEventSummaryService(_transport.Client);
        var options = new StripeNet.Billing.MeterEventSummaryListOptions
        {
            Customer = customer,
            StartTime = from.UtcDateTime,
            EndTime = to.UtcDateTime,
            ValueGroupingWindow = "hour",
            Limit = 100,
        };
        var totals = new Dictionary<DateTimeOffset, decimal>();
        await foreach (var summary in service.ListAutoPagingAsync(meterId, options, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            totals[new DateTimeOffset(DateTime.SpecifyKind(summary.StartTime, DateTimeKind.Utc))] = summary.AggregatedValue;
        }

        return totals;
    }

    /// <summary>
    /// The rejections Stripe reported for a meter since the period began (usage of the period is sent after it begins),
    /// and whether it rejected more events than it named (an error report names a sample of them).
    /// </summary>
    private async Task<(List<UsageRejection> Rejections, bool Unnamed)> ReadRejectionsAsync(string meterId, DateTimeOffset from, CancellationToken cancellationToken)
    {
        // One turn of the pacing per listing (each is a page or a few): reads count against Stripe's rate limit too.
        await _transport.RequestPacer.WaitAsync(1, cancellationToken).ConfigureAwait(false);
        var service = _transport.Concrete.V2.Core.Events;
        var options = new StripeNet.V2.Core.EventListOptions
        {
            ObjectId = meterId,
            Types = [ErrorReportTriggered],
            Created = new StripeNet.V2.Core.EventListCreatedOptions { Gte = from.UtcDateTime },
        };
        var rejections = new List<UsageRejection>();
        var unnamed = false;
        await foreach (var stripeEvent in service.ListAutoPagingAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var named = RejectionsOf(stripeEvent);
            rejections.AddRange(named);
            unnamed |= stripeEvent is StripeNet.Events.V1BillingMeterErrorReportTriggeredEvent { Data.Reason: { } reason } && reason.ErrorCount > named.Count;
        }

        return (rejections, unnamed);
    }

    private List<UsageRejection> RejectionsOf(StripeNet.V2.Core.Event stripeEvent)
    {
        var rejections = new List<UsageRejection>();
        if (stripeEvent is not StripeNet.Events.V1BillingMeterErrorReportTriggeredEvent { Data.Reason.ErrorTypes: { } types })
        {
            return rejections;
        }

        foreach (var type in types)
        {
            foreach (var sample in type.SampleErrors ?? [])
            {
                if (sample.Request?.Identifier is { Length: > 0 } identifier)
                {
                    var reason = _transport.Redact($"Stripe rejected the meter event asynchronously ({type.Code}): {sample.ErrorMessage} (event {stripeEvent.Id}).")!;
                    rejections.Add(new UsageRejection(identifier, ValidatedBy(stripeEvent), reason));
                }
            }
        }

        return rejections;
    }

    private static DateTimeOffset? ValidatedBy(StripeNet.V2.Core.Event stripeEvent) =>
        stripeEvent is StripeNet.Events.V1BillingMeterErrorReportTriggeredEvent { Data.ValidationEnd: var end } && end != default
            ? new DateTimeOffset(DateTime.SpecifyKind(end, DateTimeKind.Utc))
            : null;
}
