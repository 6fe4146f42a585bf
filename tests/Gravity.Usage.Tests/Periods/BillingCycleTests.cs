namespace Gravity.Usage.Tests.Periods;

public sealed class BillingCycleTests
{
    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    [Test]
    public void PeriodContaining_AnchorAt143712_CutsTheHourAtTheBoundary()
    {
        var cycle = BillingCycle.Monthly(Utc(2026, 9, 14, 14, 37, 12));

        Assert.Multiple(() =>
        {
            Assert.That(cycle.PeriodContaining(Utc(2026, 11, 14, 14, 37, 11)), Is.EqualTo(new BillingPeriod(Utc(2026, 10, 14, 14, 37, 12), Utc(2026, 11, 14, 14, 37, 12))));
            Assert.That(cycle.PeriodContaining(Utc(2026, 11, 14, 14, 37, 12)), Is.EqualTo(new BillingPeriod(Utc(2026, 11, 14, 14, 37, 12), Utc(2026, 12, 14, 14, 37, 12))));
        });
    }

    [TestCase(31, 2026, 2, 28)]
    [TestCase(31, 2028, 2, 29)]
    [TestCase(30, 2026, 2, 28)]
    [TestCase(29, 2027, 2, 28)]
    [TestCase(29, 2028, 2, 29)]
    [TestCase(31, 2026, 4, 30)]
    public void PeriodContaining_AnchorOnTheLateDays_FallsOnTheLastDayOfShorterMonths(int anchorDay, int year, int month, int expectedDay)
    {
        var cycle = BillingCycle.Monthly(Utc(2026, 1, anchorDay, 9));

        var period = cycle.PeriodContaining(Utc(year, month, expectedDay, 9));

        Assert.That(period.Start, Is.EqualTo(Utc(year, month, expectedDay, 9)));
    }

    [Test]
    public void PeriodContaining_AnchorOn31st_ReturnsToThe31stAfterAShortMonth()
    {
        var cycle = BillingCycle.Monthly(Utc(2028, 1, 31));

        var february = cycle.PeriodContaining(Utc(2028, 3, 1));

        Assert.That(february, Is.EqualTo(new BillingPeriod(Utc(2028, 2, 29), Utc(2028, 3, 31))));
    }

    [Test]
    public void PeriodContaining_LeapDayYearlyAnchor_FallsOn28FebruaryInOtherYears()
    {
        var cycle = new BillingCycle(Utc(2028, 2, 29), BillingInterval.Year);

        Assert.That(cycle.PeriodContaining(Utc(2030, 6, 1)), Is.EqualTo(new BillingPeriod(Utc(2030, 2, 28), Utc(2031, 2, 28))));
    }

    [Test]
    public void PeriodContaining_BeforeTheAnchor_RepeatsBackwards()
    {
        var cycle = BillingCycle.Monthly(Utc(2026, 3, 31, 12));

        Assert.That(cycle.PeriodContaining(Utc(2026, 3, 1)), Is.EqualTo(new BillingPeriod(Utc(2026, 2, 28, 12), Utc(2026, 3, 31, 12))));
    }

    [Test]
    public void PeriodContaining_Weekly_IsSevenDaysFromTheAnchor()
    {
        var cycle = new BillingCycle(Utc(2026, 11, 2, 6), BillingInterval.Week, 2);

        Assert.Multiple(() =>
        {
            Assert.That(cycle.PeriodContaining(Utc(2026, 11, 16, 5, 59, 59)), Is.EqualTo(new BillingPeriod(Utc(2026, 11, 2, 6), Utc(2026, 11, 16, 6))));
            Assert.That(cycle.PeriodContaining(Utc(2026, 10, 19, 6)), Is.EqualTo(new BillingPeriod(Utc(2026, 10, 19, 6), Utc(2026, 11, 2, 6))));
        });
    }

    [Test]
    public void PeriodContaining_EveryInstantOfTwoYears_LiesInItsPeriodAndPeriodsTile()
    {
        var cycle = BillingCycle.Monthly(Utc(2027, 1, 30, 23, 59, 59));
        var instant = Utc(2027, 1, 1);
        var previous = cycle.PeriodContaining(instant);
        for (var i = 0; i < 2 * 365 * 24; i++, instant = instant.AddHours(1))
        {
            var period = cycle.PeriodContaining(instant);
            Assert.That(period.Contains(instant), Is.True, $"{instant:O} not in {period}");
            Assert.That(period == previous || period.Start == previous.End, Is.True, $"{previous} then {period}");
            previous = period;
        }
    }

    [Test]
    public void FromCurrentPeriod_MonthAndYearAndWeek_InfersTheInterval()
    {
        Assert.Multiple(() =>
        {
            var monthly = BillingCycle.FromCurrentPeriod(Utc(2026, 11, 14, 14, 37, 12), Utc(2026, 12, 14, 14, 37, 12));
            Assert.That((monthly.Interval, monthly.IntervalCount, monthly.Anchor), Is.EqualTo((BillingInterval.Month, 1, Utc(2026, 11, 14, 14, 37, 12))));
            var quarterly = BillingCycle.FromCurrentPeriod(Utc(2026, 1, 31), Utc(2026, 4, 30));
            Assert.That((quarterly.Interval, quarterly.IntervalCount), Is.EqualTo((BillingInterval.Month, 3)));
            var yearly = BillingCycle.FromCurrentPeriod(Utc(2026, 1, 1), Utc(2027, 1, 1));
            Assert.That((yearly.Interval, yearly.IntervalCount), Is.EqualTo((BillingInterval.Year, 1)));
            var weekly = BillingCycle.FromCurrentPeriod(Utc(2026, 11, 2), Utc(2026, 11, 9));
            Assert.That((weekly.Interval, weekly.IntervalCount), Is.EqualTo((BillingInterval.Week, 1)));
        });
    }

    [Test]
    public void FromCurrentPeriod_NotWholeUnits_ThrowsNamingEnd()
    {
        var ex = Assert.Throws<ArgumentException>(() => BillingCycle.FromCurrentPeriod(Utc(2026, 11, 1), Utc(2026, 11, 1, 5)));
        Assert.That(ex!.ParamName, Is.EqualTo("end"));
    }

    [TestCase(BillingInterval.Month, 0)]
    [TestCase(BillingInterval.Month, 37)]
    [TestCase(BillingInterval.Year, 4)]
    [TestCase(BillingInterval.Week, 157)]
    public void Constructor_CountOutOfRange_ThrowsNamingIntervalCount(BillingInterval interval, int count)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new BillingCycle(Utc(2026, 1, 1), interval, count));
        Assert.That(ex!.ParamName, Is.EqualTo("intervalCount"));
    }
}
