using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>
/// A subscription with one recurring price: what <c>GET /v1/subscriptions/{id}</c> answers, so that a billing cycle
/// (its <c>billing_cycle_anchor</c> and the price's <c>recurring.interval</c> and <c>interval_count</c>) can be read.
/// </summary>
internal sealed class Subscription
{
    public required string Id { get; init; }

    public required string CustomerId { get; init; }

    public required string ItemId { get; init; }

    public required string PriceId { get; init; }

    public required long Created { get; init; }

    /// <summary>The billing cycle anchor, unix seconds; a plan change may move it.</summary>
    public required long Anchor { get; set; }

    public required string Interval { get; init; }

    public required int IntervalCount { get; init; }

    /// <summary>The current period [start, end) at <paramref name="now"/>, by Stripe's calendar rule.</summary>
    public (long Start, long End) PeriodAt(long now)
    {
        var anchor = DateTimeOffset.FromUnixTimeSeconds(Anchor);
        var k = 0;
        while (Boundary(anchor, k) > now)
        {
            k--;
        }

        while (Boundary(anchor, k + 1) <= now)
        {
            k++;
        }

        return (Boundary(anchor, k), Boundary(anchor, k + 1));
    }

    /// <summary>The start of the <paramref name="k"/>th period: days and weeks by length; months and years on the anchor's day, or the month's last.</summary>
    private long Boundary(DateTimeOffset anchor, int k)
    {
        if (Interval is "day" or "week")
        {
            return anchor.AddDays((Interval == "day" ? 1 : 7) * (long)IntervalCount * k).ToUnixTimeSeconds();
        }

        var months = (Interval == "year" ? 12 : 1) * IntervalCount * k;
        var month = new DateTimeOffset(anchor.Year, anchor.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(months);
        var day = Math.Min(anchor.Day, DateTime.DaysInMonth(month.Year, month.Month));
        return month.AddDays(day - 1).Add(anchor.TimeOfDay).ToUnixTimeSeconds();
    }
}

internal sealed partial class Ledger
{
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);

    public Subscription AddSubscription(string? id, string customerId, long anchor, string interval, int intervalCount, long now)
    {
        id ??= NextId("sub");
        if (_subscriptions.ContainsKey(id))
        {
            throw new InvalidOperationException($"A subscription with id '{id}' already exists.");
        }

        _customers.Add(customerId);
        var subscription = new Subscription
        {
            Id = id,
            CustomerId = customerId,
            ItemId = NextId("si"),
            PriceId = NextId("price"),
            Created = now,
            Anchor = anchor,
            Interval = interval,
            IntervalCount = intervalCount,
        };
        _subscriptions[id] = subscription;
        return subscription;
    }

    public Subscription? FindSubscription(string id) => _subscriptions.GetValueOrDefault(id);

    public EndpointResult RetrieveSubscription(EndpointContext context)
    {
        var id = context.RouteValues["id"];
        var subscription = _subscriptions.GetValueOrDefault(id) ?? throw StripeErrors.NoSuch("subscription", id, "id", 404);
        return EndpointResult.Ok(SubscriptionJson(subscription, context.NowUnix));
    }

    private static JsonObject SubscriptionJson(Subscription s, long now)
    {
        var (start, end) = s.PeriodAt(now);
        var item = new JsonObject
        {
            ["id"] = s.ItemId,
            ["object"] = "subscription_item",
            ["created"] = s.Created,
            ["current_period_end"] = end,
            ["current_period_start"] = start,
            ["discounts"] = new JsonArray(),
            ["metadata"] = new JsonObject(),
            ["price"] = new JsonObject
            {
                ["id"] = s.PriceId,
                ["object"] = "price",
                ["active"] = true,
                ["billing_scheme"] = "per_unit",
                ["created"] = s.Created,
                ["currency"] = "usd",
                ["livemode"] = false,
                ["metadata"] = new JsonObject(),
                ["recurring"] = new JsonObject
                {
                    ["interval"] = s.Interval,
                    ["interval_count"] = s.IntervalCount,
                    ["meter"] = null,
                    ["usage_type"] = "metered",
                },
                ["type"] = "recurring",
            },
            ["subscription"] = s.Id,
            ["tax_rates"] = new JsonArray(),
        };
        return new JsonObject
        {
            ["id"] = s.Id,
            ["object"] = "subscription",
            ["billing_cycle_anchor"] = s.Anchor,
            ["cancel_at_period_end"] = false,
            ["collection_method"] = "charge_automatically",
            ["created"] = s.Created,
            ["currency"] = "usd",
            ["customer"] = s.CustomerId,
            ["items"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(item),
                ["has_more"] = false,
                ["url"] = $"/v1/subscription_items?subscription={s.Id}",
            },
            ["livemode"] = false,
            ["metadata"] = new JsonObject(),
            ["start_date"] = s.Created,
            ["status"] = "active",
        };
    }
}
