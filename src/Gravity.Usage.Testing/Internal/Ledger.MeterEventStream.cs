using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>One well-formed event of a stream request, before its (asynchronous, on Stripe) validation.</summary>
internal sealed record StreamEvent(string EventName, string? Identifier, Dictionary<string, string> Payload, DateTimeOffset? Timestamp);

internal sealed partial class Ledger
{
    private const int MaxStreamEvents = 100;
    /// <summary>The properties a stream event may have (the conformance tests compare them with the OpenAPI subset).</summary>
    internal static readonly string[] StreamEventKeys = ["event_name", "identifier", "payload", "timestamp"];

    private readonly List<StandInMeterEventError> _meterEventErrors = [];

    public IReadOnlyList<StandInMeterEventError> MeterEventErrors => _meterEventErrors;

    /// <summary>
    /// <c>POST /v2/billing/meter_event_stream</c>. Only the request's shape is checked before answering (a malformed
    /// request is a 400 and nothing is counted); each event is then validated on its own, as Stripe does after answering:
    /// an invalid event is recorded in <see cref="MeterEventErrors"/>, a duplicate identifier is dropped silently. The
    /// stand-in does this before it answers, so a test sees the outcome as soon as the 200 arrives.
    /// </summary>
    public EndpointResult CreateMeterEventStream(EndpointContext context)
    {
        var events = ReadStreamEvents(context.Json!);
        foreach (var e in events)
        {
            IngestStreamEvent(e, context);
        }

        return EndpointResult.Ok(new JsonObject());
    }

    private static List<StreamEvent> ReadStreamEvents(JsonObject body)
    {
        if (body["events"] is not JsonArray array)
        {
            throw StripeErrors.Invalid("events", "Invalid events: must be an array of meter events.", "parameter_invalid");
        }

        if (array.Count is 0 or > MaxStreamEvents)
        {
            throw StripeErrors.Invalid(
                "events",
                string.Create(CultureInfo.InvariantCulture, $"Invalid events: a request holds 1 to {MaxStreamEvents} events, not {array.Count}."),
                "parameter_invalid");
        }

        var result = new List<StreamEvent>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            result.Add(ReadStreamEvent(array[i], string.Create(CultureInfo.InvariantCulture, $"events[{i}]")));
        }

        return result;
    }

    private static StreamEvent ReadStreamEvent(JsonNode? node, string path)
    {
        if (node is not JsonObject e)
        {
            throw StripeErrors.Invalid(path, $"Invalid {path}: must be an object.", "parameter_invalid");
        }

        foreach (var (key, _) in e)
        {
            if (!StreamEventKeys.Contains(key, StringComparer.Ordinal))
            {
                throw StripeErrors.Unknown($"{path}.{key}");
            }
        }

        var eventName = JsonString(e, "event_name", path) ?? throw StripeErrors.Missing($"{path}.event_name");
        var identifier = JsonString(e, "identifier", path);
        if (e["payload"] is not JsonObject payloadJson)
        {
            throw e.ContainsKey("payload")
                ? StripeErrors.Invalid($"{path}.payload", $"Invalid {path}.payload: must be an object of strings.", "parameter_invalid")
                : StripeErrors.Missing($"{path}.payload");
        }

        var payload = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in payloadJson)
        {
            payload[key] = value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? v.GetValue<string>()
                : throw StripeErrors.Invalid($"{path}.payload.{key}", $"Invalid {path}.payload.{key}: payload values are strings (e.g. \"25\").", "parameter_invalid");
        }

        DateTimeOffset? timestamp = null;
        if (JsonString(e, "timestamp", path) is { } rawTimestamp)
        {
            // RFC 3339 only: a date-time with a 'T' and an explicit offset or 'Z'.
            if (rawTimestamp.Length < 20
                || rawTimestamp[10] is not ('T' or 't')
                || !(rawTimestamp.EndsWith('Z') || rawTimestamp.EndsWith('z') || rawTimestamp[^6] is '+' or '-')
                || !DateTimeOffset.TryParse(rawTimestamp, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                throw StripeErrors.Invalid($"{path}.timestamp", $"Invalid {path}.timestamp: '{rawTimestamp}' is not an RFC 3339 date-time (e.g. 2026-11-21T11:59:00.000Z).", "parameter_invalid");
            }

            timestamp = parsed;
        }

        return new StreamEvent(eventName, identifier, payload, timestamp);
    }

    private static string? JsonString(JsonObject e, string key, string path)
    {
        var node = e[key];
        return node switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw StripeErrors.Invalid($"{path}.{key}", $"Invalid {path}.{key}: must be a string.", "parameter_invalid"),
        };
    }

    /// <summary>Validates one stream event like a v1 meter event; counts it, drops it as a duplicate, or records an error.</summary>
    private void IngestStreamEvent(StreamEvent e, EndpointContext context)
    {
        var timestamp = (e.Timestamp ?? context.Now).ToUnixTimeSeconds();
        var meter = FindMeterByEventName(e.EventName);
        if (meter is null && _options.AutoCreateMeters)
        {
            meter = AddMeter(e.EventName, "sum", null, e.EventName, "stripe_customer_id", "value", null, context.Now);
        }

        var customerId = meter is null ? null : e.Payload.GetValueOrDefault(meter.CustomerKey);
        void Fail(string code, string message) => _meterEventErrors.Add(new StandInMeterEventError(
            e.Identifier, e.EventName, meter?.Id, customerId, code, message, DateTimeOffset.FromUnixTimeSeconds(timestamp), context.Now, context.RequestId));

        if (meter is null)
        {
            Fail("no_meter", $"No active meter was found for event_name '{e.EventName}'.");
            return;
        }

        if (!meter.Active)
        {
            Fail("archived_meter", $"The meter for event_name '{e.EventName}' ({meter.Id}) is inactive and does not accept events.");
            return;
        }

        if (customerId is null)
        {
            Fail("meter_event_no_customer_defined", $"The payload has no '{meter.CustomerKey}' (the meter's customer_mapping.event_payload_key).");
            return;
        }

        decimal value = 0;
        if (e.Payload.TryGetValue(meter.ValueKey, out var rawValue))
        {
            switch (CheckValue(rawValue, out value))
            {
                case ValueProblem.Invalid:
                    Fail("meter_event_invalid_value", $"The value '{rawValue}' under '{meter.ValueKey}' is not a valid {(_options.IntegerValuesOnly ? "non-negative integer" : "non-negative number")}.");
                    return;
                case ValueProblem.TooManyDigits:
                    Fail("meter_event_value_too_many_digits", $"The value '{rawValue}' has more than {MaxSignificantDigits} significant digits.");
                    return;
            }
        }
        else if (meter.Formula != "count")
        {
            Fail("meter_event_invalid_value", $"The payload has no '{meter.ValueKey}' (the meter's value_settings.event_payload_key).");
            return;
        }

        if (!_customers.Contains(customerId))
        {
            if (!_options.AutoCreateCustomers)
            {
                Fail("meter_event_customer_not_found", $"No such customer: '{customerId}'.");
                return;
            }

            _customers.Add(customerId);
        }

        var earliest = (context.Now - MaxBackdating).ToUnixTimeSeconds();
        var latest = (context.Now + MaxAhead).ToUnixTimeSeconds();
        if (timestamp < earliest)
        {
            Fail("timestamp_too_far_in_past", "The timestamp is more than 35 calendar days in the past.");
            return;
        }

        if (timestamp > latest)
        {
            Fail("timestamp_in_future", "The timestamp is more than 5 minutes in the future.");
            return;
        }

        // A duplicate on the stream is never an error: Stripe drops it, whatever DuplicateIdentifier says for v1.
        if (e.Identifier is not null && IsDuplicate(e.Identifier, context.Now))
        {
            return;
        }

        if (RejectsAsynchronously(e.Identifier, e.EventName, meter, customerId, timestamp, context))
        {
            return;
        }

        Accept(meter, e.Identifier, customerId, value, timestamp, e.Payload, context);
    }
}
