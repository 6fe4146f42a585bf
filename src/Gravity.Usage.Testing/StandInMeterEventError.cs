namespace Gravity.Usage.Testing;

/// <summary>
/// A meter event sent on the v2 meter event stream (<c>POST /v2/billing/meter_event_stream</c>) that failed Stripe's
/// asynchronous validation: the request was answered 200, but the event was not counted. Stripe reports these later
/// (<c>v1.billing.meter.error_report_triggered</c>); the stand-in records them in <see cref="StripeStandIn.MeterEventErrors"/>.
/// </summary>
/// <remarks>
/// <see cref="Code"/> is one of Stripe's error report codes: <c>no_meter</c>, <c>archived_meter</c>,
/// <c>meter_event_no_customer_defined</c>, <c>meter_event_customer_not_found</c>, <c>meter_event_invalid_value</c>,
/// <c>meter_event_value_too_many_digits</c>, <c>timestamp_too_far_in_past</c> or <c>timestamp_in_future</c>.
/// </remarks>
public sealed class StandInMeterEventError
{
    internal StandInMeterEventError(
        string? identifier,
        string eventName,
        string? meterId,
        string? customerId,
        string code,
        string message,
        DateTimeOffset timestamp,
        DateTimeOffset occurredAt,
        string requestId)
    {
        Identifier = identifier;
        EventName = eventName;
        MeterId = meterId;
        CustomerId = customerId;
        Code = code;
        Message = message;
        Timestamp = timestamp;
        OccurredAt = occurredAt;
        RequestId = requestId;
    }

    /// <summary>The identifier the event was sent with, or <see langword="null"/> when it had none.</summary>
    public string? Identifier { get; }

    /// <summary>The event name the event was sent with.</summary>
    public string EventName { get; }

    /// <summary>The meter the event name resolved to, or <see langword="null"/> when no meter has it (<c>no_meter</c>).</summary>
    public string? MeterId { get; }

    /// <summary>The customer the payload named (under the meter's customer key), or <see langword="null"/> when it named none.</summary>
    public string? CustomerId { get; }

    /// <summary>Stripe's error report code, e.g. <c>meter_event_customer_not_found</c>.</summary>
    public string Code { get; }

    /// <summary>A human-readable explanation.</summary>
    public string Message { get; }

    /// <summary>The event's timestamp, whole seconds: the time it was sent with, or the receive time when it had none.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>When the stand-in validated the event, on its clock.</summary>
    public DateTimeOffset OccurredAt { get; }

    /// <summary>The <c>Request-Id</c> of the stream request that carried the event.</summary>
    public string RequestId { get; }
}
