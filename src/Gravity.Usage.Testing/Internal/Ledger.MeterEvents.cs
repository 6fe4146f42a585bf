using System.Globalization;
using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>An accepted meter event.</summary>
internal sealed class MeterEvent
{
    public required long Sequence { get; init; }

    public required Meter Meter { get; init; }

    public required string Identifier { get; init; }

    public required string CustomerId { get; init; }

    public required decimal Value { get; init; }

    public required long Timestamp { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required Dictionary<string, string> Payload { get; init; }

    public required string RequestId { get; init; }

    public string? IdempotencyKey { get; init; }

    public bool Cancelled { get; set; }
}

/// <summary>Why a payload value was refused.</summary>
internal enum ValueProblem
{
    None,
    Invalid,
    TooManyDigits,
}

internal sealed partial class Ledger
{
    private const int MaxSignificantDigits = 15;
    private static readonly TimeSpan MaxBackdating = TimeSpan.FromDays(35);
    private static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan AdjustmentWindow = TimeSpan.FromHours(24);

    private readonly List<MeterEvent> _events = [];
    private readonly Dictionary<(string MeterId, string CustomerId), List<MeterEvent>> _eventsByMeterCustomer = [];
    private readonly Dictionary<string, MeterEvent> _latestByIdentifier = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _acceptedByIdentifier = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _duplicatesByIdentifier = new(StringComparer.Ordinal);

    public IReadOnlyList<MeterEvent> Events => _events;

    public IReadOnlyCollection<string> AcceptedIdentifiers => _acceptedByIdentifier.Keys;

    public int CountAccepted(string identifier) => _acceptedByIdentifier.GetValueOrDefault(identifier);

    public int CountDuplicates(string identifier) => _duplicatesByIdentifier.GetValueOrDefault(identifier);

    public EndpointResult CreateMeterEvent(EndpointContext context)
    {
        var p = context.Params;

        // Parameter validation (never stored under an Idempotency-Key).
        var eventName = p.RequiredString("event_name").MaxLength("event_name", 100);
        var payload = p.OptionalHash("payload") ?? throw StripeErrors.Missing("payload");
        var identifier = p.OptionalString("identifier")?.MaxLength("identifier", 100);
        var timestamp = p.OptionalLong("timestamp") ?? context.NowUnix;
        var earliest = (context.Now - MaxBackdating).ToUnixTimeSeconds();
        var latest = (context.Now + MaxAhead).ToUnixTimeSeconds();
        if (timestamp < earliest || timestamp > latest)
        {
            throw StripeErrors.Invalid(
                "timestamp",
                string.Create(CultureInfo.InvariantCulture, $"The timestamp {timestamp} is outside the accepted range: it must be within the past 35 calendar days or up to 5 minutes in the future ({earliest} to {latest})."));
        }

        // The meter (a lookup: stored).
        var meter = FindMeterByEventName(eventName);
        if (meter is null)
        {
            if (!_options.AutoCreateMeters)
            {
                throw StripeErrors.Rejected("event_name", $"No active meter was found for event_name '{eventName}'. Create a meter with this event_name first.", "no_meter");
            }

            meter = AddMeter(eventName, "sum", null, eventName, "stripe_customer_id", "value", null, context.Now);
        }

        if (!meter.Active)
        {
            throw StripeErrors.Rejected("event_name", $"The meter for event_name '{eventName}' ({meter.Id}) is inactive and does not accept events.", "archived_meter");
        }

        // The payload against the meter's keys (validation).
        var customerParam = FormNode.PathOf("payload", meter.CustomerKey);
        var customerId = payload.HashString(meter.CustomerKey)
            ?? throw StripeErrors.Invalid(customerParam, $"The payload must contain '{meter.CustomerKey}' with a Stripe customer id (the meter's customer_mapping.event_payload_key).", "payload_no_customer_defined");
        var valueParam = FormNode.PathOf("payload", meter.ValueKey);
        decimal value = 0;
        if (payload.TryGetValue(meter.ValueKey, out var rawValue))
        {
            value = ParseValue(rawValue, valueParam);
        }
        else if (meter.Formula != "count")
        {
            throw StripeErrors.Invalid(valueParam, $"The payload must contain '{meter.ValueKey}' with the event's value (the meter's value_settings.event_payload_key).", "payload_no_value_defined");
        }

        // The customer (a lookup: stored).
        if (!_customers.Contains(customerId))
        {
            if (!_options.AutoCreateCustomers)
            {
                throw StripeErrors.NoSuch("customer", customerId, customerParam, 400);
            }

            _customers.Add(customerId);
        }

        // Identifier uniqueness.
        if (identifier is not null && IsDuplicate(identifier, context.Now))
        {
            if (_options.DuplicateIdentifier == DuplicateIdentifierBehavior.Reject)
            {
                throw StripeErrors.Rejected("identifier", $"An event with identifier '{identifier}' already exists.", "duplicate_meter_event");
            }

            return EndpointResult.Ok(MeterEventJson(eventName, identifier, payload, timestamp, context.NowUnix));
        }

        // Answered 200 like an accepted event, but never counted: Stripe reports it later as an error event.
        if (RejectsAsynchronously(identifier, eventName, meter, customerId, timestamp, context))
        {
            return EndpointResult.Ok(MeterEventJson(eventName, identifier!, payload, timestamp, context.NowUnix));
        }

        identifier = Accept(meter, identifier, customerId, value, timestamp, payload, context);
        return EndpointResult.Ok(MeterEventJson(eventName, identifier, payload, timestamp, context.NowUnix));
    }

    /// <summary>
    /// Whether an event with this identifier was accepted within the uniqueness window; counts the duplicate when so.
    /// v1 meter events and v2 stream events share this one table, as on Stripe.
    /// </summary>
    private bool IsDuplicate(string identifier, DateTimeOffset now)
    {
        if (!_latestByIdentifier.TryGetValue(identifier, out var previous) || now - previous.ReceivedAt >= _options.IdentifierUniquenessWindow)
        {
            return false;
        }

        _duplicatesByIdentifier[identifier] = CountDuplicates(identifier) + 1;
        return true;
    }

    /// <summary>Counts a validated, non-duplicate event (from v1 or the v2 stream); returns its identifier (generated when none was sent).</summary>
    private string Accept(Meter meter, string? identifier, string customerId, decimal value, long timestamp, Dictionary<string, string> payload, EndpointContext context)
    {
        identifier ??= "mev_" + Guid.NewGuid().ToString("N");
        var accepted = new MeterEvent
        {
            Sequence = NextSequence(),
            Meter = meter,
            Identifier = identifier,
            CustomerId = customerId,
            Value = value,
            Timestamp = timestamp,
            ReceivedAt = context.Now,
            Payload = payload,
            RequestId = context.RequestId,
            IdempotencyKey = context.IdempotencyKey,
        };
        _events.Add(accepted);
        if (!_eventsByMeterCustomer.TryGetValue((meter.Id, customerId), out var list))
        {
            list = [];
            _eventsByMeterCustomer[(meter.Id, customerId)] = list;
        }

        list.Add(accepted);
        _latestByIdentifier[identifier] = accepted;
        _acceptedByIdentifier[identifier] = CountAccepted(identifier) + 1;
        return identifier;
    }

    public EndpointResult CreateMeterEventAdjustment(EndpointContext context)
    {
        var p = context.Params;
        var eventName = p.RequiredString("event_name").MaxLength("event_name", 100);
        var type = p.RequiredString("type").OneOf("type", "cancel");

        // Optional in the v1 spec, but type=cancel (the only type) needs it; the v2 spec marks it required.
        var cancel = p.OptionalHash("cancel") ?? throw StripeErrors.Missing("cancel[identifier]");
        var identifier = (cancel.HashString("identifier") ?? throw StripeErrors.Missing("cancel[identifier]")).MaxLength("cancel[identifier]", 100);

        var meter = FindMeterByEventName(eventName)
            ?? throw StripeErrors.Rejected("event_name", $"No meter was found for event_name '{eventName}'.", "no_meter");
        if (!_latestByIdentifier.TryGetValue(identifier, out var target)
            || target.Meter != meter
            || context.Now - target.ReceivedAt >= AdjustmentWindow)
        {
            throw StripeErrors.Rejected("cancel[identifier]", $"No meter event with identifier '{identifier}' and event_name '{eventName}' was received in the last 24 hours; only those can be cancelled.", "resource_missing");
        }

        if (target.Cancelled)
        {
            throw StripeErrors.Rejected("cancel[identifier]", $"The meter event with identifier '{identifier}' has already been cancelled.");
        }

        target.Cancelled = true;
        return EndpointResult.Ok(new JsonObject
        {
            ["object"] = "billing.meter_event_adjustment",
            ["cancel"] = new JsonObject { ["identifier"] = identifier },
            ["event_name"] = eventName,
            ["livemode"] = false,
            ["status"] = "complete",
            ["type"] = type,
        });
    }

    public EndpointResult ListEventSummaries(EndpointContext context)
    {
        var p = context.Params;
        var customerId = p.RequiredString("customer");
        var start = p.RequiredLong("start_time");
        var end = p.RequiredLong("end_time");
        var grouping = p.OptionalString("value_grouping_window")?.OneOf("value_grouping_window", Windows);
        CheckAligned(start, 60, "start_time", "minute boundaries");
        CheckAligned(end, 60, "end_time", "minute boundaries");
        if (end <= start)
        {
            throw StripeErrors.Invalid("end_time", "end_time must be after start_time.");
        }

        long step = end - start;
        if (grouping is not null)
        {
            step = grouping == "hour" ? 3600 : 86400;
            var boundary = grouping == "hour" ? "hour boundaries when value_grouping_window is hour" : "UTC day boundaries when value_grouping_window is day";
            CheckAligned(start, step, "start_time", boundary);
            CheckAligned(end, step, "end_time", boundary);
            if ((end - start) / step > 100_000)
            {
                throw StripeErrors.Invalid("end_time", "The time range holds too many windows.");
            }
        }

        var meterId = context.RouteValues["id"];
        var meter = FindMeter(meterId) ?? throw StripeErrors.NoSuch("billing meter", meterId, "id", 404);
        if (!_customers.Contains(customerId))
        {
            throw StripeErrors.NoSuch("customer", customerId, "customer", 400);
        }

        var count = (int)((end - start) / step);
        var buckets = new List<MeterEvent>?[count];
        foreach (var e in EffectiveEvents(meter, customerId))
        {
            if (e.Timestamp >= start && e.Timestamp < end)
            {
                (buckets[(int)((e.Timestamp - start) / step)] ??= []).Add(e);
            }
        }

        var windows = Enumerable.Range(0, count).ToList();
        return EndpointResult.Ok(Page(
            windows,
            i => WindowId(start + (i * step), start + ((i + 1) * step)),
            i => new JsonObject
            {
                ["id"] = WindowId(start + (i * step), start + ((i + 1) * step)),
                ["object"] = "billing.meter_event_summary",
                ["aggregated_value"] = Number(Aggregate(meter.Formula, buckets[i] ?? [])),
                ["end_time"] = start + ((i + 1) * step),
                ["livemode"] = false,
                ["meter"] = meter.Id,
                ["start_time"] = start + (i * step),
            },
            context,
            "billing meter event summary"));
    }

    /// <summary>The aggregate of a customer's events on a meter whose timestamp is in [from, to).</summary>
    public decimal GetAggregate(Meter meter, string customerId, long from, long to) =>
        Aggregate(meter.Formula, EffectiveEvents(meter, customerId).Where(e => e.Timestamp >= from && e.Timestamp < to));

    /// <summary>A customer's events on a meter that count: not cancelled, and for a pre-aggregated meter only the newest per window.</summary>
    private IEnumerable<MeterEvent> EffectiveEvents(Meter meter, string customerId)
    {
        if (!_eventsByMeterCustomer.TryGetValue((meter.Id, customerId), out var events))
        {
            return [];
        }

        var live = events.Where(e => !e.Cancelled);
        if (meter.EventTimeWindow is null)
        {
            return live;
        }

        var size = meter.EventTimeWindow == "hour" ? 3600 : 86400;
        return live.GroupBy(e => Math.Floor((double)e.Timestamp / size))
            .Select(g => g.MaxBy(e => e.Sequence)!);
    }

    private static decimal Aggregate(string formula, IEnumerable<MeterEvent> events) => formula switch
    {
        "count" => events.Count(),
        "last" => events.OrderBy(e => e.Timestamp).ThenBy(e => e.Sequence).LastOrDefault()?.Value ?? 0m,
        _ => events.Sum(e => e.Value),
    };

    private static void CheckAligned(long value, long step, string param, string what)
    {
        if (value % step != 0)
        {
            throw StripeErrors.Invalid(param, string.Create(CultureInfo.InvariantCulture, $"{param} ({value}) must be aligned to {what}."));
        }
    }

    private static string WindowId(long start, long end) => string.Create(CultureInfo.InvariantCulture, $"mtrusg_{start}_{end}");

    private decimal ParseValue(string raw, string param) => CheckValue(raw, out var value) switch
    {
        ValueProblem.None => value,
        ValueProblem.TooManyDigits => throw StripeErrors.Invalid(param, $"The value '{raw}' has more than {MaxSignificantDigits} significant digits.", "payload_invalid_value"),
        _ => throw InvalidValue(raw, param),
    };

    /// <summary>Checks a payload value (a non-negative number as a string; integers only per <see cref="StripeStandInOptions.IntegerValuesOnly"/>) without throwing, for both v1 and the v2 stream.</summary>
    private ValueProblem CheckValue(string raw, out decimal value)
    {
        value = 0;
        var digits = 0;
        var dots = 0;
        var significant = false;
        foreach (var c in raw)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (char.IsAsciiDigit(c))
            {
                significant |= c != '0';
                if (significant)
                {
                    digits++;
                }
            }
            else
            {
                return ValueProblem.Invalid;
            }
        }

        if (raw.Length == 0 || dots > 1 || (dots == 1 && (_options.IntegerValuesOnly || raw[0] == '.' || raw[^1] == '.')))
        {
            return ValueProblem.Invalid;
        }

        if (digits > MaxSignificantDigits)
        {
            return ValueProblem.TooManyDigits;
        }

        value = decimal.Parse(raw, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return ValueProblem.None;
    }

    private StripeErrorException InvalidValue(string raw, string param) => StripeErrors.Invalid(
        param,
        _options.IntegerValuesOnly
            ? $"The value '{raw}' is not valid: it must be a non-negative integer, as a string (e.g. \"25\")."
            : $"The value '{raw}' is not valid: it must be a non-negative number, as a string (e.g. \"25\" or \"2.5\").",
        "payload_invalid_value");

    private static JsonObject MeterEventJson(string eventName, string identifier, Dictionary<string, string> payload, long timestamp, long created)
    {
        var payloadJson = new JsonObject();
        foreach (var (key, value) in payload)
        {
            payloadJson[key] = value;
        }

        return new JsonObject
        {
            ["object"] = "billing.meter_event",
            ["created"] = created,
            ["event_name"] = eventName,
            ["identifier"] = identifier,
            ["livemode"] = false,
            ["payload"] = payloadJson,
            ["timestamp"] = timestamp,
        };
    }
}
