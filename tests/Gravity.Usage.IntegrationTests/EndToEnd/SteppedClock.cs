namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>
/// The library's clock in the end-to-end tests: "now" moves only when the test moves it (past bucket ends, retry
/// delays, leases), while timers run on real time, so that the Stripe client's request timeouts, back-off and pacing
/// (which use the same registered <see cref="TimeProvider"/>) still end on their own.
/// </summary>
/// <remarks>
/// Kept instead of <c>FakeTimeProvider</c>, which also holds its timers and delays until the test advances it:
/// registered as the host's clock, <c>UseStripe</c> hands it to the Stripe client, whose pacing
/// (<c>Task.Delay(wait, timeProvider)</c>) then waits forever before its next request while the test awaits the run
/// that makes it. Here only "now" is the test's; every timer runs on real time.
/// </remarks>
/// <param name="start">The first "now".</param>
public sealed class SteppedClock(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    /// <summary>Moves "now" forward.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        Interlocked.Add(ref _utcTicks, delta.Ticks);
    }

    /// <summary>Moves "now" forward to <paramref name="instant"/>; never backwards.</summary>
    public void MoveTo(DateTimeOffset instant)
    {
        var now = GetUtcNow();
        ArgumentOutOfRangeException.ThrowIfLessThan(instant, now);
        Advance(instant - now);
    }
}
