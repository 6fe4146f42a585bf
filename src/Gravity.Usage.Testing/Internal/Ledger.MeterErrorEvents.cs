using System.Globalization;
using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>
/// Asynchronous rejections of meter events asked for by a test, and the <c>v1.billing.meter.error_report_triggered</c>
/// thin events (<c>GET /v2/core/events</c>) that report every asynchronous validation error to the host.
/// </summary>
internal sealed partial class Ledger
{
    public const string ErrorReportTriggered = "v1.billing.meter.error_report_triggered";
    private const int DefaultEventLimit = 20;

    private readonly Dictionary<string, (string Code, string Message)> _asyncRejections = new(StringComparer.Ordinal);

    public void RejectAsynchronously(string identifier, string code, string message) => _asyncRejections[identifier] = (code, message);

    /// <summary>
    /// Whether the event is one a test asked to reject asynchronously: then it is recorded as an error (with the
    /// meter, so that an error event names it) and the caller answers as if it was accepted, without counting it.
    /// </summary>
    private bool RejectsAsynchronously(string? identifier, string eventName, Meter meter, string customerId, long timestamp, EndpointContext context)
    {
        if (identifier is null || !_asyncRejections.Remove(identifier, out var rejection))
        {
            return false;
        }

        _meterEventErrors.Add(new StandInMeterEventError(
            identifier, eventName, meter.Id, customerId, rejection.Code, rejection.Message, DateTimeOffset.FromUnixTimeSeconds(timestamp), context.Now, context.RequestId));
        return true;
    }

    /// <summary><c>GET /v2/core/events</c>: the error report events of one meter (<c>object_id</c>), oldest first, by page.</summary>
    public EndpointResult ListEvents(EndpointContext context)
    {
        var p = context.Params;
        var objectId = p.RequiredString("object_id");
        var types = p.OptionalHash("types")?.Values.ToList();
        var created = p.OptionalHash("created") ?? [];
        var limit = p.OptionalLong("limit") ?? DefaultEventLimit;
        if (limit is < 1 or > MaxLimit)
        {
            throw StripeErrors.Invalid("limit", string.Create(CultureInfo.InvariantCulture, $"Invalid limit: must be between 1 and {MaxLimit}."));
        }

        var bounds = created.ToDictionary(kv => kv.Key, kv => long.TryParse(kv.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw StripeErrors.Invalid($"created[{kv.Key}]", $"Invalid created[{kv.Key}]: must be a Unix timestamp."));
        var start = 0;
        if (p.OptionalString("page") is { } page && !int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out start))
        {
            throw StripeErrors.Invalid("page", "Invalid page token.");
        }

        var matching = ErrorEvents()
            .Where(e => e.Error.MeterId == objectId && (types is null || types.Contains(ErrorReportTriggered)))
            .Where(e => InBounds(e.Error.OccurredAt.ToUnixTimeSeconds(), bounds))
            .ToList();
        var data = new JsonArray();
        foreach (var (id, error) in matching.Skip(start).Take((int)limit))
        {
            data.Add(ErrorEventJson(id, error));
        }

        var next = start + (int)limit;
        string? nextUrl = null;
        if (next < matching.Count)
        {
            var query = new List<string> { "object_id=" + Uri.EscapeDataString(objectId) };
            query.AddRange((types ?? []).Select((t, i) => string.Create(CultureInfo.InvariantCulture, $"types[{i}]={Uri.EscapeDataString(t)}")));
            query.AddRange(bounds.Select(b => string.Create(CultureInfo.InvariantCulture, $"created[{b.Key}]={b.Value}")));
            query.Add(string.Create(CultureInfo.InvariantCulture, $"limit={limit}"));
            query.Add(string.Create(CultureInfo.InvariantCulture, $"page={next}"));
            nextUrl = "/v2/core/events?" + string.Join('&', query);
        }

        return EndpointResult.Ok(new JsonObject
        {
            ["data"] = data,
            ["next_page_url"] = nextUrl,
            ["previous_page_url"] = null,
        });
    }

    /// <summary><c>GET /v2/core/events/{id}</c>: one error report event.</summary>
    public EndpointResult RetrieveEvent(EndpointContext context)
    {
        var id = context.RouteValues["id"];
        foreach (var (eventId, error) in ErrorEvents())
        {
            if (eventId == id)
            {
                return EndpointResult.Ok(ErrorEventJson(eventId, error));
            }
        }

        throw StripeErrors.NoSuch("event", id, "id", 404);
    }

    /// <summary>One event per error that names a meter (an unknown event name has no meter to relate to), with a stable id.</summary>
    private IEnumerable<(string Id, StandInMeterEventError Error)> ErrorEvents() =>
        _meterEventErrors
            .Select((error, index) => (string.Create(CultureInfo.InvariantCulture, $"evt_standin_mer{index + 1:D4}"), error))
            .Where(e => e.error.MeterId is not null);

    private static bool InBounds(long created, Dictionary<string, long> bounds) =>
        (!bounds.TryGetValue("gt", out var gt) || created > gt)
        && (!bounds.TryGetValue("gte", out var gte) || created >= gte)
        && (!bounds.TryGetValue("lt", out var lt) || created < lt)
        && (!bounds.TryGetValue("lte", out var lte) || created <= lte);

    private static JsonObject ErrorEventJson(string id, StandInMeterEventError error)
    {
        var at = error.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "v2.core.event",
            ["type"] = ErrorReportTriggered,
            ["created"] = at,
            ["livemode"] = false,
            ["context"] = null,
            ["related_object"] = new JsonObject
            {
                ["id"] = error.MeterId,
                ["type"] = "billing.meter",
                ["url"] = "/v1/billing/meters/" + error.MeterId,
            },
            ["data"] = new JsonObject
            {
                ["developer_message_summary"] = $"1 meter event was rejected: {error.Code}.",
                ["reason"] = new JsonObject
                {
                    ["error_count"] = 1,
                    ["error_types"] = new JsonArray(new JsonObject
                    {
                        ["code"] = error.Code,
                        ["error_count"] = 1,
                        ["sample_errors"] = new JsonArray(new JsonObject
                        {
                            ["error_message"] = error.Message,
                            ["request"] = new JsonObject { ["id"] = error.RequestId, ["identifier"] = error.Identifier },
                        }),
                    }),
                },
                ["validation_start"] = at,
                ["validation_end"] = at,
            },
        };
    }
}
