namespace Gravity.Usage.Tests.Periods;

public sealed class PeriodBucketsTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly BillingCycle Cycle = BillingCycle.Monthly(Utc(2026, 3, 15, 14, 37, 12));

    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    [TestCase(14, 10, 0, 14, 0, 0)]
    [TestCase(14, 37, 11, 14, 0, 0)]
    [TestCase(14, 37, 12, 14, 37, 12)]
    [TestCase(14, 59, 59, 14, 37, 12)]
    [TestCase(15, 0, 0, 15, 0, 0)]
    public void StartOf_AnHourHoldingABoundary_StartsAtTheLaterOfTheHourAndThePeriod(int hour, int minute, int second, int startHour, int startMinute, int startSecond)
    {
        var start = PeriodBuckets.StartOf(Utc(2026, 4, 15, hour, minute, second), Hour.Ticks, Cycle);

        Assert.That(start, Is.EqualTo(Utc(2026, 4, 15, startHour, startMinute, startSecond)));
    }

    [Test]
    public void AccountCycle_BucketStart_FollowsTheRuleAcrossPeriodsInAnyOrder()
    {
        var cached = new AccountCycle(Cycle);
        DateTimeOffset[] instants = [Utc(2026, 4, 15, 14, 40), Utc(2026, 4, 15, 14, 10), Utc(2026, 5, 15, 14, 50), Utc(2026, 4, 15, 14, 37, 12), Utc(2026, 5, 15, 14, 37, 11)];

        Assert.That(instants.Select(i => cached.BucketStart(i, Hour.Ticks)), Is.EqualTo(instants.Select(i => PeriodBuckets.StartOf(i, Hour.Ticks, Cycle))));
    }

    [Test]
    public void StartOf_WithoutACycle_IsTheAlignedBucket()
    {
        Assert.That(PeriodBuckets.StartOf(Utc(2026, 4, 15, 14, 40, 1), Hour.Ticks, cycle: null), Is.EqualTo(Utc(2026, 4, 15, 14)));
    }

    [Test]
    public void EndOf_BoundaryBeforeTheAlignedEnd_IsTheBoundary()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PeriodBuckets.EndOf(Utc(2026, 4, 15, 14), Hour, Cycle), Is.EqualTo(Utc(2026, 4, 15, 14, 37, 12)), "cut at the boundary");
            Assert.That(PeriodBuckets.EndOf(Utc(2026, 4, 15, 14, 37, 12), Hour, Cycle), Is.EqualTo(Utc(2026, 4, 15, 15)), "the cut bucket ends on the hour");
            Assert.That(PeriodBuckets.EndOf(Utc(2026, 4, 15, 13), Hour, Cycle), Is.EqualTo(Utc(2026, 4, 15, 14)));
            Assert.That(PeriodBuckets.EndOf(Utc(2026, 4, 15, 14), Hour, cycle: null), Is.EqualTo(Utc(2026, 4, 15, 15)));
        });
    }

    [Test]
    public void Anchor_WithFractionsOfASecond_IsTruncatedToWholeSeconds()
    {
        var cycle = BillingCycle.Monthly(Utc(2026, 3, 15, 14, 37, 12).AddMilliseconds(999));

        Assert.That(cycle.Anchor, Is.EqualTo(Utc(2026, 3, 15, 14, 37, 12)));
    }
}
