namespace Gravity.Usage.Testing;

/// <summary>
/// The fault injection rules of a <see cref="StripeStandIn"/>. Rules are checked in the order they were added; the
/// first one that matches a request and strikes (probability, remaining strikes) applies, so at most one fault per
/// request. Probabilities draw from a <see cref="Random"/> seeded with <see cref="StripeStandInOptions.FaultSeed"/>:
/// the same sequence of requests meets the same faults. Thread-safe.
/// </summary>
public sealed class StripeStandInFaults
{
    private readonly Lock _lock = new();
    private readonly List<StripeFaultRule> _rules = [];
    private readonly Random _random;
    private int _strikes;

    internal StripeStandInFaults(int seed)
    {
#pragma warning disable CA5394 // Reproducible pseudo-random faults are the point; nothing here is security-relevant.
        _random = new Random(seed);
#pragma warning restore CA5394
    }

    /// <summary>A snapshot of the rules, in the order they are checked.</summary>
    public IReadOnlyList<StripeFaultRule> Rules
    {
        get
        {
            lock (_lock)
            {
                return [.. _rules];
            }
        }
    }

    /// <summary>How many requests were struck by any rule, including rules removed since.</summary>
    public int TotalStrikes => Volatile.Read(ref _strikes);

    /// <summary>Adds a rule.</summary>
    /// <param name="method">The HTTP method to match (e.g. <c>POST</c>), or <see langword="null"/> or <c>*</c> for any.</param>
    /// <param name="pathPrefix">The path prefix to match, starting with <c>/</c>, e.g. <c>/v1/billing/meter_events</c>.</param>
    /// <param name="fault">What to do.</param>
    /// <param name="timing">When to strike; defaults to <see cref="FaultTiming.BeforeProcessing"/>.</param>
    /// <param name="times">How many strikes in total, or <see langword="null"/> for no limit.</param>
    /// <param name="probability">The probability (0-1] that a matching request is struck.</param>
    /// <returns>The rule, to read its counters or remove it.</returns>
    /// <exception cref="ArgumentException">A path prefix that does not start with <c>/</c>, a non-positive <paramref name="times"/>, or a probability outside (0, 1].</exception>
    public StripeFaultRule Add(string? method, string pathPrefix, StripeFault fault, FaultTiming timing = FaultTiming.BeforeProcessing, int? times = null, double probability = 1.0)
    {
        ArgumentNullException.ThrowIfNull(pathPrefix);
        ArgumentNullException.ThrowIfNull(fault);
        if (!pathPrefix.StartsWith('/'))
        {
            throw new ArgumentException("The path prefix must start with '/'.", nameof(pathPrefix));
        }

        if (times is { } n)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(times));
        }

        if (!(probability > 0.0 && probability <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "The probability must be in (0, 1].");
        }

        if (!Enum.IsDefined(timing))
        {
            throw new ArgumentOutOfRangeException(nameof(timing), timing, "Unknown timing.");
        }

        var rule = new StripeFaultRule(method is null or "*" ? null : method, pathPrefix, fault, timing, times, probability);
        lock (_lock)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    /// <summary>Strikes the next <paramref name="count"/> matching requests.</summary>
    /// <param name="method">The HTTP method to match, or <see langword="null"/> or <c>*</c> for any.</param>
    /// <param name="pathPrefix">The path prefix to match.</param>
    /// <param name="fault">What to do.</param>
    /// <param name="count">How many requests to strike.</param>
    /// <param name="timing">When to strike.</param>
    /// <returns>The rule.</returns>
    public StripeFaultRule FailNext(string? method, string pathPrefix, StripeFault fault, int count = 1, FaultTiming timing = FaultTiming.BeforeProcessing) =>
        Add(method, pathPrefix, fault, timing, count);

    /// <summary>Strikes each matching request with a probability, reproducibly (seeded with <see cref="StripeStandInOptions.FaultSeed"/>).</summary>
    /// <param name="method">The HTTP method to match, or <see langword="null"/> or <c>*</c> for any.</param>
    /// <param name="pathPrefix">The path prefix to match.</param>
    /// <param name="fault">What to do.</param>
    /// <param name="probability">The probability (0-1] of a strike.</param>
    /// <param name="timing">When to strike.</param>
    /// <returns>The rule.</returns>
    public StripeFaultRule FailRandomly(string? method, string pathPrefix, StripeFault fault, double probability, FaultTiming timing = FaultTiming.BeforeProcessing) =>
        Add(method, pathPrefix, fault, timing, null, probability);

    /// <summary>Removes a rule; requests already struck by it keep their fault.</summary>
    /// <param name="rule">The rule.</param>
    /// <returns>Whether the rule was present.</returns>
    public bool Remove(StripeFaultRule rule)
    {
        lock (_lock)
        {
            return _rules.Remove(rule);
        }
    }

    /// <summary>Removes every rule.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
        }
    }

    internal StripeFaultRule? Select(string method, string path)
    {
        lock (_lock)
        {
            foreach (var rule in _rules)
            {
                if (!rule.IsMatch(method, path))
                {
                    continue;
                }

                rule.CountMatch();
                if (rule.Probability < 1.0 && _random.NextDouble() >= rule.Probability)
                {
                    continue;
                }

                rule.CountStrike();
                _strikes++;
                return rule;
            }
        }

        return null;
    }
}
