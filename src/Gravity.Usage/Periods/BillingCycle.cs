using System.Globalization;

namespace Gravity.Usage;

/// <summary>
/// An account's billing cycle: periods that start at <see cref="Anchor"/> and repeat every <see cref="IntervalCount"/>
/// <see cref="Interval"/>s, as a Stripe subscription's <c>billing_cycle_anchor</c> and price interval define them.
/// Usage is cut at period boundaries, so each period's usage is billed on its own invoice.
/// </summary>
/// <remarks>
/// Month and year periods follow Stripe's calendar rule: each boundary is the anchor moved by whole months, on the
/// anchor's day of the month or the last day of a shorter month (an anchor on 31 January gives 28 or 29 February, then
/// 31 March), at the anchor's time of day, in UTC. Boundaries never drift: each one is computed from the anchor.
/// </remarks>
public sealed record BillingCycle
{
    /// <summary>The longest cycle Stripe allows: three years (36 months, 156 weeks).</summary>
    private const int MaxMonths = 36;

    /// <summary>The latest anchor accepted: far enough from <see cref="DateTimeOffset.MaxValue"/> that every boundary can be computed.</summary>
    private static readonly DateTimeOffset s_latestAnchor = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Initializes a new instance of the <see cref="BillingCycle"/> class.</summary>
    /// <param name="anchor">
    /// An instant on which a period starts; every other boundary is computed from it. Between 1970 and the year 9000;
    /// truncated to whole seconds, as Stripe's timestamps are, since buckets start on whole seconds.
    /// </param>
    /// <param name="interval">The unit periods repeat in.</param>
    /// <param name="intervalCount">How many units one period lasts: at least 1, and at most three years in all.</param>
    /// <exception cref="ArgumentOutOfRangeException">The anchor or the interval is out of range, or the count is.</exception>
    public BillingCycle(DateTimeOffset anchor, BillingInterval interval, int intervalCount = 1)
    {
        if (anchor < DateTimeOffset.UnixEpoch || anchor >= s_latestAnchor)
        {
            throw new ArgumentOutOfRangeException(nameof(anchor), anchor, "The anchor must lie between 1970-01-01 and 9000-01-01 (UTC).");
        }

        if (!Enum.IsDefined(interval))
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval must be Day, Week, Month or Year.");
        }

        var max = MaxCount(interval);
        if (intervalCount < 1 || intervalCount > max)
        {
            throw new ArgumentOutOfRangeException(
                nameof(intervalCount),
                intervalCount,
                string.Create(CultureInfo.InvariantCulture, $"A {interval} cycle lasts 1 to {max} {interval.ToString().ToLowerInvariant()}s (Stripe's longest cycle is three years)."));
        }

        Anchor = new DateTimeOffset(anchor.UtcTicks - (anchor.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        Interval = interval;
        IntervalCount = intervalCount;
    }

    /// <summary>Gets an instant on which a period starts (UTC).</summary>
    public DateTimeOffset Anchor { get; }

    /// <summary>Gets the unit periods repeat in.</summary>
    public BillingInterval Interval { get; }

    /// <summary>Gets how many <see cref="Interval"/>s one period lasts.</summary>
    public int IntervalCount { get; }

    /// <summary>Creates a cycle of one month anchored at <paramref name="anchor"/>.</summary>
    /// <param name="anchor">An instant on which a period starts.</param>
    /// <returns>The cycle.</returns>
    public static BillingCycle Monthly(DateTimeOffset anchor) => new(anchor, BillingInterval.Month);

    /// <summary>
    /// Creates the cycle whose current period is [<paramref name="start"/>, <paramref name="end"/>), for hosts that know
    /// the period rather than the anchor (Stripe's <c>current_period_start</c> and <c>current_period_end</c>).
    /// </summary>
    /// <param name="start">The start of the current period; it becomes the anchor.</param>
    /// <param name="end">The end of the current period: whole days, weeks, months or years after <paramref name="start"/>.</param>
    /// <returns>The cycle.</returns>
    /// <remarks>
    /// A period that starts on a shortened month end (28 February of a subscription anchored on the 31st) carries
    /// that day forward; pass the subscription's anchor instead when it is known.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="end"/> is not whole days, weeks, months or years after <paramref name="start"/>.</exception>
    public static BillingCycle FromCurrentPeriod(DateTimeOffset start, DateTimeOffset end)
    {
        start = start.ToUniversalTime();
        end = end.ToUniversalTime();
        if (end <= start)
        {
            throw new ArgumentException($"The end of the current period ({end:O}) must lie after its start ({start:O}).", nameof(end));
        }

        for (var months = 1; months <= MaxMonths; months++)
        {
            if (AddMonthsClamped(start, start.Day, months) == end)
            {
                return months % 12 == 0 ? new BillingCycle(start, BillingInterval.Year, months / 12) : new BillingCycle(start, BillingInterval.Month, months);
            }
        }

        var length = end - start;
        if (length.Ticks % TimeSpan.TicksPerDay == 0)
        {
            var days = (int)Math.Min(int.MaxValue, length.Ticks / TimeSpan.TicksPerDay);
            if (days % 7 == 0 && days / 7 <= MaxCount(BillingInterval.Week))
            {
                return new BillingCycle(start, BillingInterval.Week, days / 7);
            }

            if (days <= MaxCount(BillingInterval.Day))
            {
                return new BillingCycle(start, BillingInterval.Day, days);
            }
        }

        throw new ArgumentException(
            $"The current period [{start:O}, {end:O}) is not whole days, weeks, months or years of at most three years; pass the subscription's anchor and interval instead.",
            nameof(end));
    }

    /// <summary>Finds the period an instant belongs to.</summary>
    /// <param name="instant">The instant; before the anchor too (periods repeat backwards as well).</param>
    /// <returns>The period that contains <paramref name="instant"/>.</returns>
    public BillingPeriod PeriodContaining(DateTimeOffset instant)
    {
        instant = instant.ToUniversalTime();
        if (Interval is BillingInterval.Day or BillingInterval.Week)
        {
            var length = (Interval == BillingInterval.Day ? TimeSpan.TicksPerDay : 7 * TimeSpan.TicksPerDay) * IntervalCount;
            var index = Math.Floor((double)(instant.UtcTicks - Anchor.UtcTicks) / length);
            var start = Anchor.AddTicks((long)index * length);
            // The floating-point estimate may be one period off at the edges; step to the period that holds the instant.
            while (start > instant)
            {
                start = start.AddTicks(-length);
            }

            while (start.AddTicks(length) <= instant)
            {
                start = start.AddTicks(length);
            }

            return new BillingPeriod(start, start.AddTicks(length));
        }

        var months = Interval == BillingInterval.Year ? 12 * IntervalCount : IntervalCount;
        var elapsed = ((instant.Year - Anchor.Year) * 12) + instant.Month - Anchor.Month;
        var k = (int)Math.Floor((double)elapsed / months);
        while (Boundary(k, months) > instant)
        {
            k--;
        }

        while (Boundary(k + 1, months) <= instant)
        {
            k++;
        }

        return new BillingPeriod(Boundary(k, months), Boundary(k + 1, months));
    }

    /// <summary>The start of the <paramref name="index"/>th period after the anchor (negative: before it).</summary>
    private DateTimeOffset Boundary(int index, int months) => AddMonthsClamped(Anchor, Anchor.Day, index * months);

    /// <summary>Moves a UTC instant by whole months, onto <paramref name="day"/> or the last day of a shorter month.</summary>
    private static DateTimeOffset AddMonthsClamped(DateTimeOffset from, int day, int months)
    {
        var firstOfMonth = new DateTimeOffset(from.Year, from.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(months);
        var clampedDay = Math.Min(day, DateTime.DaysInMonth(firstOfMonth.Year, firstOfMonth.Month));
        return firstOfMonth.AddDays(clampedDay - 1).Add(from.TimeOfDay);
    }

    private static int MaxCount(BillingInterval interval) => interval switch
    {
        BillingInterval.Day => 3 * 365,
        BillingInterval.Week => 156,
        BillingInterval.Month => MaxMonths,
        _ => 3,
    };
}
