using Microsoft.Extensions.Options;

namespace Gravity.Usage.AspNetCore.Webhooks;

/// <summary>
/// The ids of events this process has taken, remembered for <see cref="StripeUsageWebhookOptions.ProcessedEventRetention"/>
/// (at most <see cref="StripeUsageWebhookOptions.ProcessedEventCapacity"/>, oldest forgotten first), so that Stripe's
/// resends do nothing more. In memory, per process: a restart or another instance forgets them, which costs at most one
/// more flush. A flush is idempotent on the ledger, so it can never bill twice (see the package README).
/// </summary>
internal sealed class ProcessedStripeEvents(IOptions<StripeUsageWebhookOptions> options, TimeProvider timeProvider)
{
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, DateTimeOffset At)> _order = new();
    private readonly Lock _lock = new();

    /// <summary>Claims an event id: the first caller for an id gets <see langword="true"/>, every later one <see langword="false"/>.</summary>
    /// <param name="eventId">The event id.</param>
    /// <returns>Whether the caller is the first to take the event.</returns>
    public bool TryClaim(string eventId)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            Forget(now);
            if (_seen.ContainsKey(eventId))
            {
                return false;
            }

            _seen.Add(eventId, now);
            _order.Enqueue((eventId, now));
            return true;
        }
    }

    /// <summary>Gives an event id back after a claim whose work could not be taken (a full queue), so a resend is handled.</summary>
    /// <param name="eventId">The event id.</param>
    public void Release(string eventId)
    {
        lock (_lock)
        {
            _seen.Remove(eventId);
        }
    }

    private void Forget(DateTimeOffset now)
    {
        var settings = options.Value;
        var expired = now - settings.ProcessedEventRetention;
        while (_order.TryPeek(out var oldest) && (oldest.At <= expired || _order.Count > settings.ProcessedEventCapacity - 1))
        {
            _order.Dequeue();

            // The id may have been released and claimed again since: only forget the claim this entry stands for.
            if (_seen.TryGetValue(oldest.Id, out var at) && at == oldest.At)
            {
                _seen.Remove(oldest.Id);
            }
        }
    }
}
