namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>What a <see cref="RecordingSink"/> did with one delivery.</summary>
public enum SinkAnswer
{
    /// <summary>Accepted and counted.</summary>
    Accepted,

    /// <summary>The identifier was accepted before: answered delivered, not counted again (as Stripe does).</summary>
    Duplicate,

    /// <summary>Answered transient; nothing counted.</summary>
    Transient,

    /// <summary>Answered permanent; nothing counted.</summary>
    Permanent,

    /// <summary>Threw before counting anything.</summary>
    Threw,

    /// <summary>Counted (unless a duplicate), then threw: the back end took it but the answer was lost.</summary>
    AcceptedThenThrew,

    /// <summary>Cancelled while blocked at a gate; nothing counted.</summary>
    Cancelled,
}

/// <summary>One call of <see cref="RecordingSink.DeliverAsync"/>.</summary>
public sealed record SinkCall(
    string Identifier,
    string Account,
    string Meter,
    string EventName,
    long Quantity,
    DateTimeOffset BucketStart,
    string? CustomerId,
    SinkAnswer Answer);

/// <summary>How a <see cref="RecordingSink"/> answers the deliveries a rule matches.</summary>
public abstract record SinkAction
{
    private SinkAction()
    {
    }

    public static SinkAction Transient(string error = "503 Service Unavailable", TimeSpan? retryAfter = null) => new TransientAction(error, retryAfter);

    public static SinkAction Permanent(string error = "400 Bad Request") => new PermanentAction(error);

    public static SinkAction Throw(string message = "Connection refused") => new ThrowAction(message);

    /// <summary>Counts the delivery, then throws: Stripe accepted it but the answer never arrived.</summary>
    public static SinkAction AcceptThenThrow() => new AcceptThenThrowAction();

    /// <summary>Waits for <paramref name="gate"/> (or the delivery's cancellation), then accepts.</summary>
    public static SinkAction Block(Task gate) => new BlockAction(gate);

    internal sealed record TransientAction(string Error, TimeSpan? RetryAfter) : SinkAction;

    internal sealed record PermanentAction(string Error) : SinkAction;

    internal sealed record ThrowAction(string Message) : SinkAction;

    internal sealed record AcceptThenThrowAction : SinkAction;

    internal sealed record BlockAction(Task Gate) : SinkAction;
}

/// <summary>
/// A host-supplied billing back end that records every delivery and keeps per-(customer, event name) totals of the
/// accepted ones, de-duplicating by identifier like Stripe: a repeated identifier is answered delivered and not
/// counted again. Scripted per identifier, per account or for every delivery; deliveries without a Stripe customer
/// are refused for good, as Stripe refuses a meter event without one.
/// </summary>
public sealed class RecordingSink : IUsageSink
{
    /// <summary>The error a delivery without a customer gets, like Stripe's answer for a missing customer.</summary>
    public const string NoCustomerError = "No such customer: the meter event names no stripe_customer_id.";

    private readonly Lock _lock = new();
    private readonly List<SinkCall> _calls = [];
    private readonly Dictionary<string, SinkCall> _accepted = new(StringComparer.Ordinal);
    private readonly List<Rule> _rules = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _callWaiters = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _acceptWaiters = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _startWaiters = [];
    private int _started;
    private int _requestIds;

    /// <summary>Awaited before every answer, to make deliveries overlap (null: answer at once).</summary>
    public Func<Task>? Latency { get; set; }

    /// <summary>Every call so far, in the order they began answering.</summary>
    public IReadOnlyList<SinkCall> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>The deliveries counted, one per identifier.</summary>
    public IReadOnlyList<SinkCall> Accepted
    {
        get
        {
            lock (_lock)
            {
                return [.. _accepted.Values];
            }
        }
    }

    /// <summary>The accepted totals per (customer, event name).</summary>
    public IReadOnlyDictionary<(string? Customer, string EventName), long> Totals
    {
        get
        {
            lock (_lock)
            {
                return _accepted.Values
                    .GroupBy(c => (c.CustomerId, c.EventName))
                    .ToDictionary(g => g.Key, g => g.Sum(c => c.Quantity));
            }
        }
    }

    /// <summary>The accepted total of one customer and event name.</summary>
    public long Total(string customer, string eventName) =>
        Totals.TryGetValue((customer, eventName), out var total) ? total : 0;

    /// <summary>Answers the next <paramref name="times"/> deliveries of <paramref name="identifier"/> with <paramref name="action"/>.</summary>
    public void ForIdentifier(string identifier, SinkAction action, int times = int.MaxValue) =>
        AddRule(d => string.Equals(d.Report.Identifier, identifier, StringComparison.Ordinal), action, times);

    /// <summary>Answers the next <paramref name="times"/> deliveries of <paramref name="account"/> with <paramref name="action"/>.</summary>
    public void ForAccount(string account, SinkAction action, int times = int.MaxValue) =>
        AddRule(d => string.Equals(d.Report.Account, account, StringComparison.Ordinal), action, times);

    /// <summary>Answers the next <paramref name="times"/> deliveries with <paramref name="action"/>.</summary>
    public void ForAll(SinkAction action, int times = int.MaxValue) => AddRule(_ => true, action, times);

    /// <summary>Forgets every rule: deliveries are accepted from now on.</summary>
    public void ClearRules()
    {
        lock (_lock)
        {
            _rules.Clear();
        }
    }

    /// <summary>Completes once <paramref name="count"/> calls have entered the sink (blocked ones included).</summary>
    public Task WaitForStartedAsync(int count) => Wait(_startWaiters, () => _started, count);

    /// <summary>Completes once <paramref name="count"/> calls have begun answering.</summary>
    public Task WaitForCallsAsync(int count) => Wait(_callWaiters, () => _calls.Count, count);

    /// <summary>Completes once <paramref name="count"/> distinct identifiers have been counted.</summary>
    public Task WaitForAcceptedAsync(int count) => Wait(_acceptWaiters, () => _accepted.Count, count);

    public async Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        lock (_lock)
        {
            _started++;
            Release(_startWaiters, _started);
        }

        if (Latency is { } latency)
        {
            await latency();
        }

        var action = TakeAction(delivery);
        if (action is SinkAction.BlockAction block)
        {
            try
            {
                await block.Gate.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Record(delivery, SinkAnswer.Cancelled);
                throw;
            }

            action = null;
        }

        var requestId = $"req_{Interlocked.Increment(ref _requestIds)}";
        switch (action)
        {
            case SinkAction.TransientAction transient:
                Record(delivery, SinkAnswer.Transient);
                return DeliveryResult.Transient(transient.Error, requestId, transient.RetryAfter);
            case SinkAction.PermanentAction permanent:
                Record(delivery, SinkAnswer.Permanent);
                return DeliveryResult.Permanent(permanent.Error, requestId);
            case SinkAction.ThrowAction thrown:
                Record(delivery, SinkAnswer.Threw);
                throw new InvalidOperationException(thrown.Message);
            case SinkAction.AcceptThenThrowAction:
                Record(delivery, SinkAnswer.AcceptedThenThrew);
                throw new IOException("The connection was reset after the request was sent.");
            default:
                if (delivery.BillingAccount.StripeCustomerId is null)
                {
                    Record(delivery, SinkAnswer.Permanent);
                    return DeliveryResult.Permanent(NoCustomerError, requestId);
                }

                Record(delivery, SinkAnswer.Accepted);
                return DeliveryResult.Delivered(requestId);
        }
    }

    private void AddRule(Func<UsageDelivery, bool> matches, SinkAction action, int times)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        lock (_lock)
        {
            _rules.Add(new Rule(matches, action) { Remaining = times });
        }
    }

    private SinkAction? TakeAction(UsageDelivery delivery)
    {
        lock (_lock)
        {
            var rule = _rules.Find(r => r.Remaining > 0 && r.Matches(delivery));
            if (rule is null)
            {
                return null;
            }

            rule.Remaining--;
            return rule.Action;
        }
    }

    private void Record(UsageDelivery delivery, SinkAnswer answer)
    {
        var report = delivery.Report;
        lock (_lock)
        {
            var counts = answer is SinkAnswer.Accepted or SinkAnswer.AcceptedThenThrew;
            if (counts && _accepted.ContainsKey(report.Identifier))
            {
                answer = answer == SinkAnswer.Accepted ? SinkAnswer.Duplicate : answer;
                counts = false;
            }

            var call = new SinkCall(
                report.Identifier,
                report.Account,
                report.Meter,
                delivery.EventName,
                report.Quantity,
                report.BucketStart,
                delivery.BillingAccount.StripeCustomerId,
                answer);
            _calls.Add(call);
            if (counts)
            {
                _accepted.Add(report.Identifier, call);
            }

            Release(_callWaiters, _calls.Count);
            Release(_acceptWaiters, _accepted.Count);
        }
    }

    private Task Wait(List<(int Count, TaskCompletionSource Reached)> waiters, Func<int> current, int count)
    {
        lock (_lock)
        {
            if (current() >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((count, reached));
            return reached.Task;
        }
    }

    private static void Release(List<(int Count, TaskCompletionSource Reached)> waiters, int current)
    {
        foreach (var waiter in waiters.Where(w => w.Count <= current).ToList())
        {
            waiter.Reached.TrySetResult();
            waiters.Remove(waiter);
        }
    }

    private sealed class Rule(Func<UsageDelivery, bool> matches, SinkAction action)
    {
        public Func<UsageDelivery, bool> Matches { get; } = matches;

        public SinkAction Action { get; } = action;

        public int Remaining { get; set; }
    }
}
