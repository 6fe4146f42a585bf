namespace Gravity.Usage.Testing.Internal;

/// <summary>One endpoint: method, path template (<c>{name}</c> segments), accepted parameters and handler.</summary>
internal sealed class RouteDefinition
{
    private readonly string[] _segments;

    public RouteDefinition(string method, string template, Func<Ledger, EndpointContext, EndpointResult> handler, bool legacyUsageRecords, params ParamSpec[] parameters)
    {
        Method = method;
        Template = template;
        Handler = handler;
        LegacyUsageRecords = legacyUsageRecords;
        Parameters = parameters;
        _segments = template.Split('/');
    }

    public string Method { get; }

    public string Template { get; }

    public Func<Ledger, EndpointContext, EndpointResult> Handler { get; }

    /// <summary>Whether the route only exists on API versions before <c>2025-03-31.basil</c>.</summary>
    public bool LegacyUsageRecords { get; }

    /// <summary>Whether the route is on Stripe's v2 API: a JSON body, and errors in the v2 envelope.</summary>
    public bool V2 { get; init; }

    /// <summary>
    /// Whether the route lies outside reference/stripe-openapi-usage-subset.json (subscriptions, served so that a
    /// billing cycle can be read); the conformance tests check what the subset does cover of its answer.
    /// </summary>
    public bool OutsideTheSubset { get; init; }

    /// <summary>Whether the route authenticates with a meter event session token instead of an API key.</summary>
    public bool SessionAuth { get; init; }

    /// <summary>The body (POST) or query (GET) parameters the endpoint accepts (top-level JSON properties on v2); anything else is <c>parameter_unknown</c>.</summary>
    public IReadOnlyList<ParamSpec> Parameters { get; }

    public bool TryMatch(string path, out Dictionary<string, string> values)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        var segments = path.Split('/');
        if (segments.Length != _segments.Length)
        {
            return false;
        }

        for (var i = 0; i < segments.Length; i++)
        {
            var pattern = _segments[i];
            if (pattern.StartsWith('{'))
            {
                if (segments[i].Length == 0)
                {
                    return false;
                }

                values[pattern[1..^1]] = segments[i];
            }
            else if (!string.Equals(pattern, segments[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>The endpoints the stand-in serves.</summary>
internal static class Routes
{
    private static readonly ParamSpec Limit = new("limit", ParamShape.Scalar);
    private static readonly ParamSpec StartingAfter = new("starting_after", ParamShape.Scalar);
    private static readonly ParamSpec EndingBefore = new("ending_before", ParamShape.Scalar);

    public static IReadOnlyList<RouteDefinition> All { get; } =
    [
        new("POST", "/v1/billing/meters", static (l, c) => l.CreateMeter(c), false,
            new("display_name", ParamShape.Scalar, Required: true),
            new("event_name", ParamShape.Scalar, Required: true),
            new("default_aggregation", ParamShape.Hash, true, "formula"),
            new("customer_mapping", ParamShape.Hash, false, "event_payload_key", "type"),
            new("value_settings", ParamShape.Hash, false, "event_payload_key"),
            new("event_time_window", ParamShape.Scalar),
            ParamSpec.Expand),
        new("GET", "/v1/billing/meters", static (l, c) => l.ListMeters(c), false,
            new("status", ParamShape.Scalar), Limit, StartingAfter, EndingBefore, ParamSpec.Expand),
        new("GET", "/v1/billing/meters/{id}", static (l, c) => l.RetrieveMeter(c), false, ParamSpec.Expand),
        new("POST", "/v1/billing/meters/{id}", static (l, c) => l.UpdateMeter(c), false,
            new("display_name", ParamShape.Scalar), ParamSpec.Expand),
        new("POST", "/v1/billing/meters/{id}/deactivate", static (l, c) => l.SetMeterActive(c, active: false), false, ParamSpec.Expand),
        new("POST", "/v1/billing/meters/{id}/reactivate", static (l, c) => l.SetMeterActive(c, active: true), false, ParamSpec.Expand),
        new("GET", "/v1/billing/meters/{id}/event_summaries", static (l, c) => l.ListEventSummaries(c), false,
            new("customer", ParamShape.Scalar, Required: true),
            new("start_time", ParamShape.Scalar, Required: true),
            new("end_time", ParamShape.Scalar, Required: true),
            new("value_grouping_window", ParamShape.Scalar),
            Limit, StartingAfter, EndingBefore, ParamSpec.Expand),
        new("POST", "/v1/billing/meter_events", static (l, c) => l.CreateMeterEvent(c), false,
            new("event_name", ParamShape.Scalar, Required: true),
            new("payload", ParamShape.FreeHash, Required: true),
            new("identifier", ParamShape.Scalar),
            new("timestamp", ParamShape.Scalar),
            ParamSpec.Expand),
        new("POST", "/v1/billing/meter_event_adjustments", static (l, c) => l.CreateMeterEventAdjustment(c), false,
            new("event_name", ParamShape.Scalar, Required: true),
            new("type", ParamShape.Scalar, Required: true),
            new("cancel", ParamShape.Hash, false, "identifier"),
            ParamSpec.Expand),
        new("POST", "/v1/subscription_items/{subscription_item}/usage_records", static (l, c) => l.CreateUsageRecord(c), true,
            new("quantity", ParamShape.Scalar, Required: true),
            new("timestamp", ParamShape.Scalar),
            new("action", ParamShape.Scalar),
            ParamSpec.Expand),
        new("GET", "/v1/subscription_items/{subscription_item}/usage_record_summaries", static (l, c) => l.ListUsageRecordSummaries(c), true,
            Limit, StartingAfter, EndingBefore, ParamSpec.Expand),
        new("GET", "/v1/subscriptions/{id}", static (l, c) => l.RetrieveSubscription(c), false, ParamSpec.Expand) { OutsideTheSubset = true },
        new("GET", "/v2/core/events", static (l, c) => l.ListEvents(c), false,
            new("object_id", ParamShape.Scalar, Required: true),
            new("types", ParamShape.Array),
            new("created", ParamShape.Hash, false, "gt", "gte", "lt", "lte"),
            new("limit", ParamShape.Scalar),
            new("page", ParamShape.Scalar)) { V2 = true, OutsideTheSubset = true },
        new("GET", "/v2/core/events/{id}", static (l, c) => l.RetrieveEvent(c), false) { V2 = true, OutsideTheSubset = true },
        new("POST", "/v2/billing/meter_event_session", static (l, c) => l.CreateMeterEventSession(c), false) { V2 = true },
        new("POST", "/v2/billing/meter_event_stream", static (l, c) => l.CreateMeterEventStream(c), false,
            new ParamSpec("events", ParamShape.Array, Required: true)) { V2 = true, SessionAuth = true },
    ];

    public static RouteDefinition? Match(string method, string path, out Dictionary<string, string> values)
    {
        foreach (var route in All)
        {
            if (string.Equals(route.Method, method, StringComparison.Ordinal) && route.TryMatch(path, out values))
            {
                return route;
            }
        }

        values = [];
        return null;
    }
}
