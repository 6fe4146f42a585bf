using System.Globalization;
using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>A legacy subscription item with its billing periods and usage records.</summary>
internal sealed class SubscriptionItem
{
    public required string Id { get; init; }

    public required string CustomerId { get; init; }

    /// <summary>Billing periods, oldest first; the last is the current one. Each is [Start, End) in unix seconds.</summary>
    public List<(long Start, long End)> Periods { get; } = [];

    /// <summary>Quantity per usage timestamp (same-timestamp records add up unless action=set).</summary>
    public SortedDictionary<long, long> QuantityAt { get; } = [];

    public (long Start, long End) Current => Periods[^1];

    /// <summary>Renews the subscription, period after period of the same length, until <paramref name="now"/> is inside the current one.</summary>
    public void Roll(long now)
    {
        while (now >= Current.End)
        {
            var (start, end) = Current;
            Periods.Add((end, end + (end - start)));
        }
    }
}

internal sealed partial class Ledger
{
    /// <summary>The first API version without legacy usage records.</summary>
    public const string UsageRecordsRemovedIn = "2025-03-31";

    private readonly Dictionary<string, SubscriptionItem> _items = new(StringComparer.Ordinal);
    private readonly List<StandInUsageRecordWrite> _usageRecordWrites = [];

    public IReadOnlyList<StandInUsageRecordWrite> UsageRecordWrites => _usageRecordWrites;

    public SubscriptionItem AddSubscriptionItem(string? id, string customerId, long periodStart, long periodEnd)
    {
        if (periodEnd <= periodStart)
        {
            throw new ArgumentException("The current period must end after it starts.", nameof(periodEnd));
        }

        id ??= NextId("si");
        if (_items.ContainsKey(id))
        {
            throw new InvalidOperationException($"A subscription item with id '{id}' already exists.");
        }

        _customers.Add(customerId);
        var item = new SubscriptionItem { Id = id, CustomerId = customerId };
        item.Periods.Add((periodStart, periodEnd));
        _items[id] = item;
        return item;
    }

    public SubscriptionItem? FindSubscriptionItem(string id) => _items.GetValueOrDefault(id);

    public EndpointResult CreateUsageRecord(EndpointContext context)
    {
        var p = context.Params;
        var quantity = p.RequiredLong("quantity");
        if (quantity < 0)
        {
            throw StripeErrors.Invalid("quantity", string.Create(CultureInfo.InvariantCulture, $"Invalid quantity: {quantity}; must be greater than or equal to 0."));
        }

        var rawTimestamp = p.OptionalString("timestamp");
        long timestamp;
        if (rawTimestamp is null or "now")
        {
            timestamp = context.NowUnix;
        }
        else if (!long.TryParse(rawTimestamp, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out timestamp))
        {
            throw StripeErrors.Invalid("timestamp", $"Invalid timestamp: '{rawTimestamp}'. Must be a Unix timestamp (integer) or 'now'.");
        }

        var action = (p.OptionalString("action") ?? "increment").OneOf("action", "increment", "set");

        var item = RequireItem(context);
        item.Roll(context.NowUnix);
        var (start, end) = item.Current;
        if (timestamp < start)
        {
            throw StripeErrors.Rejected("timestamp", string.Create(CultureInfo.InvariantCulture, $"Cannot create the usage record with this timestamp because timestamps must be after the subscription's current period start time ({start})."));
        }

        if (timestamp >= end)
        {
            throw StripeErrors.Rejected("timestamp", string.Create(CultureInfo.InvariantCulture, $"Cannot create the usage record with this timestamp because timestamps must be before the subscription's current period end time ({end})."));
        }

        if (timestamp > context.NowUnix)
        {
            throw StripeErrors.Rejected("timestamp", string.Create(CultureInfo.InvariantCulture, $"Cannot create the usage record with this timestamp because it is in the future (now is {context.NowUnix})."));
        }

        item.QuantityAt[timestamp] = action == "set" ? quantity : item.QuantityAt.GetValueOrDefault(timestamp) + quantity;
        var id = NextId("mbur");
        _usageRecordWrites.Add(new StandInUsageRecordWrite(
            id, item.Id, quantity, DateTimeOffset.FromUnixTimeSeconds(timestamp), action, context.Now, context.RequestId, context.IdempotencyKey));
        return EndpointResult.Ok(new JsonObject
        {
            ["id"] = id,
            ["object"] = "usage_record",
            ["livemode"] = false,
            ["quantity"] = quantity,
            ["subscription_item"] = item.Id,
            ["timestamp"] = timestamp,
        });
    }

    public EndpointResult ListUsageRecordSummaries(EndpointContext context)
    {
        var item = RequireItem(context);
        item.Roll(context.NowUnix);
        var periods = Enumerable.Range(0, item.Periods.Count).Reverse().ToList(); // newest (the open period) first
        return EndpointResult.Ok(Page(
            periods,
            i => SummaryId(item, i),
            i => new JsonObject
            {
                ["id"] = SummaryId(item, i),
                ["object"] = "usage_record_summary",
                ["invoice"] = null,
                ["livemode"] = false,
                ["period"] = new JsonObject { ["start"] = item.Periods[i].Start, ["end"] = item.Periods[i].End },
                ["subscription_item"] = item.Id,
                ["total_usage"] = GetUsageTotal(item, item.Periods[i].Start, item.Periods[i].End),
            },
            context,
            "usage record summary"));
    }

    public static long GetUsageTotal(SubscriptionItem item, long from, long to)
    {
        long total = 0;
        foreach (var (timestamp, quantity) in item.QuantityAt)
        {
            if (timestamp >= from && timestamp < to)
            {
                total = checked(total + quantity);
            }
        }

        return total;
    }

    private SubscriptionItem RequireItem(EndpointContext context)
    {
        var id = context.RouteValues["subscription_item"];
        return _items.GetValueOrDefault(id) ?? throw StripeErrors.NoSuch("subscription_item", id, "subscription_item", 404);
    }

    private static string SummaryId(SubscriptionItem item, int period) =>
        string.Create(CultureInfo.InvariantCulture, $"sis_{item.Id}_{period}");
}
