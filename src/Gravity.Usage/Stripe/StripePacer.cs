namespace Gravity.Usage.Stripe;

/// <summary>
/// Spaces out work to a rate: each call takes one or more slots, <c>1 / rate</c> seconds apart, shared by every caller.
/// Stripe.net retries within a call but paces nothing, so the sinks ask for their turn here before each call.
/// </summary>
/// <remarks>Runs on real time (<see cref="TimeProvider.System"/> unless a test says otherwise): it measures network time, not usage time.</remarks>
internal sealed class StripePacer(double perSecond, TimeProvider timeProvider)
{
    private readonly TimeSpan _interval = TimeSpan.FromTicks((long)Math.Min(TimeSpan.TicksPerSecond / perSecond, TimeSpan.TicksPerDay));
    private readonly Lock _lock = new();
    private DateTimeOffset _nextSlot = DateTimeOffset.MinValue;

    /// <summary>Waits until <paramref name="slots"/> slots are this caller's.</summary>
    public Task WaitAsync(int slots, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_lock)
        {
            var now = timeProvider.GetUtcNow();
            var start = _nextSlot > now ? _nextSlot : now;
            _nextSlot = start + (_interval * slots);
            wait = start - now;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return wait > TimeSpan.Zero ? Task.Delay(wait, timeProvider, cancellationToken) : Task.CompletedTask;
    }
}
