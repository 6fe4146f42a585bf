using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>A billing meter.</summary>
internal sealed class Meter
{
    public required string Id { get; init; }

    public required string EventName { get; init; }

    public required string DisplayName { get; set; }

    public required string Formula { get; init; }

    public required string CustomerKey { get; init; }

    public required string ValueKey { get; init; }

    public string? EventTimeWindow { get; init; }

    public required long Created { get; init; }

    public required long Updated { get; set; }

    public bool Active { get; set; } = true;

    public long? DeactivatedAt { get; set; }

    public required long Sequence { get; init; }
}

internal sealed partial class Ledger
{
    private static readonly string[] Formulas = ["count", "last", "sum"];
    private static readonly string[] Windows = ["day", "hour"];

    private readonly Dictionary<string, Meter> _metersById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Meter> _metersByEventName = new(StringComparer.Ordinal);
    private readonly List<Meter> _meters = [];

    public Meter AddMeter(string eventName, string formula, string? id, string displayName, string customerKey, string valueKey, string? eventTimeWindow, DateTimeOffset now)
    {
        if (_metersByEventName.ContainsKey(eventName))
        {
            throw StripeErrors.Rejected("event_name", $"A meter with event_name '{eventName}' already exists. An event name can belong to only one meter.");
        }

        id ??= NextId("mtr");
        if (_metersById.ContainsKey(id))
        {
            throw StripeErrors.Rejected("id", $"A meter with id '{id}' already exists.");
        }

        var unix = now.ToUnixTimeSeconds();
        var meter = new Meter
        {
            Id = id,
            EventName = eventName,
            DisplayName = displayName,
            Formula = formula,
            CustomerKey = customerKey,
            ValueKey = valueKey,
            EventTimeWindow = eventTimeWindow,
            Created = unix,
            Updated = unix,
            Sequence = NextSequence(),
        };
        _metersById[id] = meter;
        _metersByEventName[eventName] = meter;
        _meters.Add(meter);
        return meter;
    }

    public Meter? FindMeterByEventName(string eventName) => _metersByEventName.GetValueOrDefault(eventName);

    public Meter? FindMeter(string id) => _metersById.GetValueOrDefault(id);

    public EndpointResult CreateMeter(EndpointContext context)
    {
        var p = context.Params;
        var displayName = p.RequiredString("display_name").MaxLength("display_name", 250);
        var eventName = p.RequiredString("event_name").MaxLength("event_name", 100);
        var aggregation = p.OptionalHash("default_aggregation") ?? throw StripeErrors.Missing("default_aggregation");
        var formula = (aggregation.HashString("formula") ?? throw StripeErrors.Missing("default_aggregation[formula]"))
            .OneOf("default_aggregation[formula]", Formulas);

        var customerKey = "stripe_customer_id";
        if (p.OptionalHash("customer_mapping") is { } mapping)
        {
            customerKey = (mapping.HashString("event_payload_key") ?? throw StripeErrors.Missing("customer_mapping[event_payload_key]"))
                .MaxLength("customer_mapping[event_payload_key]", 100);
            (mapping.HashString("type") ?? throw StripeErrors.Missing("customer_mapping[type]")).OneOf("customer_mapping[type]", "by_id");
        }

        var valueKey = "value";
        if (p.OptionalHash("value_settings") is { } valueSettings)
        {
            valueKey = (valueSettings.HashString("event_payload_key") ?? throw StripeErrors.Missing("value_settings[event_payload_key]"))
                .MaxLength("value_settings[event_payload_key]", 100);
        }

        var window = p.OptionalString("event_time_window")?.OneOf("event_time_window", Windows);
        var meter = AddMeter(eventName, formula, null, displayName, customerKey, valueKey, window, context.Now);
        return EndpointResult.Ok(MeterJson(meter));
    }

    public EndpointResult ListMeters(EndpointContext context)
    {
        var status = context.Params.OptionalString("status")?.OneOf("status", "active", "inactive");
        var meters = _meters
            .Where(m => status is null || (status == "active") == m.Active)
            .OrderByDescending(m => m.Sequence)
            .ToList();
        return EndpointResult.Ok(Page(meters, static m => m.Id, MeterJson, context, "billing meter"));
    }

    public EndpointResult RetrieveMeter(EndpointContext context) => EndpointResult.Ok(MeterJson(RequireMeter(context)));

    public EndpointResult UpdateMeter(EndpointContext context)
    {
        var displayName = context.Params.OptionalString("display_name")?.MaxLength("display_name", 250);
        var meter = RequireMeter(context);
        if (displayName is not null)
        {
            meter.DisplayName = displayName;
            meter.Updated = context.NowUnix;
        }

        return EndpointResult.Ok(MeterJson(meter));
    }

    public EndpointResult SetMeterActive(EndpointContext context, bool active)
    {
        var meter = RequireMeter(context);
        SetMeterActive(meter, active, context.Now);
        return EndpointResult.Ok(MeterJson(meter));
    }

    public static void SetMeterActive(Meter meter, bool active, DateTimeOffset now)
    {
        if (meter.Active == active)
        {
            return;
        }

        meter.Active = active;
        meter.DeactivatedAt = active ? null : now.ToUnixTimeSeconds();
        meter.Updated = now.ToUnixTimeSeconds();
    }

    private Meter RequireMeter(EndpointContext context)
    {
        var id = context.RouteValues["id"];
        return _metersById.GetValueOrDefault(id) ?? throw StripeErrors.NoSuch("billing meter", id, "id", 404);
    }

    private static JsonObject MeterJson(Meter meter) => new()
    {
        ["id"] = meter.Id,
        ["object"] = "billing.meter",
        ["created"] = meter.Created,
        ["customer_mapping"] = new JsonObject { ["event_payload_key"] = meter.CustomerKey, ["type"] = "by_id" },
        ["default_aggregation"] = new JsonObject { ["formula"] = meter.Formula },
        ["display_name"] = meter.DisplayName,
        ["event_name"] = meter.EventName,
        ["event_time_window"] = meter.EventTimeWindow,
        ["livemode"] = false,
        ["status"] = meter.Active ? "active" : "inactive",
        ["status_transitions"] = new JsonObject { ["deactivated_at"] = meter.DeactivatedAt },
        ["updated"] = meter.Updated,
        ["value_settings"] = new JsonObject { ["event_payload_key"] = meter.ValueKey },
    };
}
