namespace Gravity.Usage.Testing.Tests;

public sealed class ManualTimeProviderTests
{
    private static readonly DateTimeOffset Start = new(2026, 9, 21, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Reads_what_it_was_set_to_in_utc()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 9, 21, 14, 0, 0, TimeSpan.FromHours(2)));

        Assert.That(clock.GetUtcNow(), Is.EqualTo(Start));
        Assert.That(clock.GetUtcNow().Offset, Is.EqualTo(TimeSpan.Zero));
        Assert.That(clock.LocalTimeZone, Is.EqualTo(TimeZoneInfo.Utc));

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.That(clock.GetUtcNow(), Is.EqualTo(Start.AddMinutes(5)));

        clock.SetUtcNow(Start.AddDays(-1));
        Assert.That(clock.GetUtcNow(), Is.EqualTo(Start.AddDays(-1)));
        Assert.That(() => clock.Advance(TimeSpan.FromTicks(-1)), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Timestamps_follow_the_manual_clock()
    {
        var clock = new ManualTimeProvider(Start);
        var before = clock.GetTimestamp();

        clock.Advance(TimeSpan.FromSeconds(90));

        Assert.That(clock.GetElapsedTime(before), Is.EqualTo(TimeSpan.FromSeconds(90)));
    }

    [Test]
    public async Task Task_delay_completes_when_the_clock_passes_its_due_time()
    {
        var clock = new ManualTimeProvider(Start);
        var delay = Task.Delay(TimeSpan.FromMinutes(10), clock);

        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.That(delay.IsCompleted, Is.False);

        clock.Advance(TimeSpan.FromMinutes(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(delay.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public void Periodic_timers_fire_once_per_period_crossed_with_the_clock_at_each_due_time()
    {
        var clock = new ManualTimeProvider(Start);
        var seen = new List<DateTimeOffset>();
        using var timer = clock.CreateTimer(_ => seen.Add(clock.GetUtcNow()), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));

        clock.Advance(TimeSpan.FromSeconds(35));

        Assert.That(seen, Is.EqualTo(new[] { Start.AddSeconds(10), Start.AddSeconds(20), Start.AddSeconds(30) }));
        Assert.That(clock.GetUtcNow(), Is.EqualTo(Start.AddSeconds(35)));

        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(seen, Has.Count.EqualTo(3));
    }

    [Test]
    public void A_timer_callback_may_move_the_clock()
    {
        var clock = new ManualTimeProvider(Start);
        var fired = 0;
        using var timer = clock.CreateTimer(_ =>
        {
            fired++;
            clock.Advance(TimeSpan.FromMinutes(1));
        }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.That(fired, Is.EqualTo(1));
        Assert.That(clock.GetUtcNow(), Is.EqualTo(Start.AddSeconds(61)));
    }

    [Test]
    public void Disposed_timers_do_not_fire()
    {
        var clock = new ManualTimeProvider(Start);
        var fired = 0;
        var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        timer.Dispose();
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.That(fired, Is.Zero);
        Assert.That(timer.Change(TimeSpan.Zero, TimeSpan.Zero), Is.False);
    }

    [Test]
    public async Task Cancellation_after_a_delay_follows_the_clock()
    {
        var clock = new ManualTimeProvider(Start);
        using var cts = new CancellationTokenSource(TimeSpan.FromHours(1), clock);

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.That(cts.IsCancellationRequested, Is.False);

        clock.Advance(TimeSpan.FromMinutes(1));
        await Support.Poll.UntilAsync(() => cts.IsCancellationRequested);
    }

    [Test]
    public async Task Is_thread_safe()
    {
        var clock = new ManualTimeProvider(Start);
        var fired = 0;
        var timers = Enumerable.Range(1, 100)
            .Select(i => clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromSeconds(i), Timeout.InfiniteTimeSpan))
            .ToList();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                Assert.That(clock.GetUtcNow(), Is.GreaterThanOrEqualTo(Start));
            }
        })));

        Assert.That(clock.GetUtcNow(), Is.EqualTo(Start.AddSeconds(200)));
        Assert.That(fired, Is.EqualTo(100));
        timers.ForEach(t => t.Dispose());
    }
}
