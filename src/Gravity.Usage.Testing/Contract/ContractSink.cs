namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// The billing back end of the cases that run a reporter: accepts every delivery, counts each identifier once (as
/// Stripe drops a repeated identifier), and answers the next few deliveries of an identifier with a transient failure
/// when told to.
/// </summary>
internal sealed class ContractSink : IUsageSink
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string? Customer, string EventName, long Quantity)> _accepted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _transientFailures = new(StringComparer.Ordinal);
    private int _deliveries;

    /// <summary>Every delivery so far, counted once per identifier or not.</summary>
    public int Deliveries
    {
        get
        {
            lock (_lock)
            {
                return _deliveries;
            }
        }
    }

    /// <summary>The identifiers accepted, each once.</summary>
    public IReadOnlyList<string> AcceptedIdentifiers
    {
        get
        {
            lock (_lock)
            {
                return [.. _accepted.Keys];
            }
        }
    }

    /// <summary>The accepted total of one customer and event name.</summary>
    public long Total(string customer, string eventName)
    {
        lock (_lock)
        {
            return _accepted.Values.Where(a => a.Customer == customer && a.EventName == eventName).Sum(a => a.Quantity);
        }
    }

    /// <summary>Answers the next <paramref name="times"/> deliveries of <paramref name="identifier"/> with a transient failure.</summary>
    public void FailTransiently(string identifier, int times)
    {
        lock (_lock)
        {
            _transientFailures[identifier] = times;
        }
    }

    public Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        lock (_lock)
        {
            _deliveries++;
            var identifier = delivery.Report.Identifier;
            if (_transientFailures.TryGetValue(identifier, out var left) && left > 0)
            {
                _transientFailures[identifier] = left - 1;
                return Task.FromResult(DeliveryResult.Transient("503 Service Unavailable"));
            }

            _accepted.TryAdd(identifier, (delivery.BillingAccount.StripeCustomerId, delivery.EventName, delivery.Report.Quantity));
            return Task.FromResult(DeliveryResult.Delivered($"req_{_deliveries}"));
        }
    }
}
