using System.Globalization;
using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>
/// The stand-in's Stripe state: customers, meters, meter events, subscription items and usage records, and the
/// endpoints that read and change it. Not thread-safe: the engine calls it under one lock.
/// </summary>
internal sealed partial class Ledger
{
    private const int DefaultLimit = 10;
    private const int MaxLimit = 100;

    private readonly StripeStandInOptions _options;
    private readonly HashSet<string> _customers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _idCounters = new(StringComparer.Ordinal);
    private long _sequence;

    public Ledger(StripeStandInOptions options)
    {
        _options = options;
    }

    public string AddCustomer(string? id)
    {
        id ??= NextId("cus");
        _customers.Add(id);
        return id;
    }

    public bool HasCustomer(string id) => _customers.Contains(id);

    private long NextSequence() => ++_sequence;

    private string NextId(string prefix)
    {
        while (true)
        {
            _idCounters.TryGetValue(prefix, out var n);
            _idCounters[prefix] = ++n;
            var id = string.Create(CultureInfo.InvariantCulture, $"{prefix}_standin{n:D4}");
            if (!IdExists(prefix, id))
            {
                return id;
            }
        }
    }

    private bool IdExists(string prefix, string id) => prefix switch
    {
        "cus" => _customers.Contains(id),
        "mtr" => _metersById.ContainsKey(id),
        "si" => _items.ContainsKey(id) || _subscriptions.Values.Any(s => s.ItemId == id),
        "sub" => _subscriptions.ContainsKey(id),
        _ => false,
    };

    private static JsonObject List(JsonArray data, bool hasMore, string url) => new()
    {
        ["object"] = "list",
        ["data"] = data,
        ["has_more"] = hasMore,
        ["url"] = url,
    };

    /// <summary>Cursor pagination over items in list order: <c>limit</c>, <c>starting_after</c>, <c>ending_before</c>.</summary>
    private static JsonObject Page<T>(IReadOnlyList<T> items, Func<T, string> idOf, Func<T, JsonNode> toJson, EndpointContext context, string objectName)
    {
        var p = context.Params;
        var limit = p.OptionalLong("limit") ?? DefaultLimit;
        if (limit is < 1 or > MaxLimit)
        {
            throw StripeErrors.Invalid("limit", string.Create(CultureInfo.InvariantCulture, $"Invalid limit: must be between 1 and {MaxLimit}."));
        }

        var startingAfter = p.OptionalString("starting_after");
        var endingBefore = p.OptionalString("ending_before");
        if (startingAfter is not null && endingBefore is not null)
        {
            throw StripeErrors.Invalid("starting_after", "You may only specify one of these parameters: ending_before, starting_after.", "parameters_exclusive");
        }

        int from;
        int to;
        bool hasMore;
        if (endingBefore is not null)
        {
            var index = IndexOf(items, idOf, endingBefore, "ending_before", objectName);
            to = index;
            from = Math.Max(0, index - (int)limit);
            hasMore = from > 0;
        }
        else
        {
            from = startingAfter is null ? 0 : IndexOf(items, idOf, startingAfter, "starting_after", objectName) + 1;
            to = Math.Min(items.Count, from + (int)limit);
            hasMore = to < items.Count;
        }

        var data = new JsonArray();
        for (var i = from; i < to; i++)
        {
            data.Add(toJson(items[i]));
        }

        return List(data, hasMore, context.Url);
    }

    private static int IndexOf<T>(IReadOnlyList<T> items, Func<T, string> idOf, string id, string param, string objectName)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (string.Equals(idOf(items[i]), id, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw StripeErrors.Invalid(param, $"No such {objectName}: '{id}'", "resource_missing");
    }

    /// <summary>A decimal as a JSON number without trailing zeros (25, not 25.00).</summary>
    private static JsonValue Number(decimal value) => JsonValue.Create(value / 1.0000000000000000000000000000m)!;
}
