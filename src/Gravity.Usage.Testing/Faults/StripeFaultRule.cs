namespace Gravity.Usage.Testing;

/// <summary>
/// One fault injection rule: which requests it matches (HTTP method and path prefix), how often it strikes (a
/// probability, a number of strikes, or both), what it does (<see cref="Fault"/>) and when (<see cref="Timing"/>).
/// Created by <see cref="StripeStandInFaults"/>; its counters are safe to read from any thread.
/// </summary>
public sealed class StripeFaultRule
{
    private int _matches;
    private int _strikes;

    internal StripeFaultRule(string? method, string pathPrefix, StripeFault fault, FaultTiming timing, int? times, double probability)
    {
        Method = method;
        PathPrefix = pathPrefix;
        Fault = fault;
        Timing = timing;
        Times = times;
        Probability = probability;
    }

    /// <summary>The HTTP method matched (case-insensitive), or <see langword="null"/> for any.</summary>
    public string? Method { get; }

    /// <summary>The path prefix matched (ordinal), e.g. <c>/v1/billing/meter_events</c>; <c>/</c> matches every path.</summary>
    public string PathPrefix { get; }

    /// <summary>What the rule does when it strikes.</summary>
    public StripeFault Fault { get; }

    /// <summary>When the rule strikes relative to the endpoint.</summary>
    public FaultTiming Timing { get; }

    /// <summary>How many times the rule strikes in total, or <see langword="null"/> for no limit.</summary>
    public int? Times { get; }

    /// <summary>The probability (0-1] that a matching request is struck while strikes remain.</summary>
    public double Probability { get; }

    /// <summary>How many requests matched the rule while strikes remained (whether struck or spared by the probability).</summary>
    public int Matches => Volatile.Read(ref _matches);

    /// <summary>How many requests the rule struck.</summary>
    public int Strikes => Volatile.Read(ref _strikes);

    /// <summary>Whether the rule has used up its <see cref="Times"/>.</summary>
    public bool IsExhausted => Times is { } times && Strikes >= times;

    /// <inheritdoc />
    public override string ToString() => $"{Method ?? "*"} {PathPrefix}* -> {Fault} {Timing}";

    // Called under the owner's lock.
    internal bool IsMatch(string method, string path) =>
        !IsExhausted
        && (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && path.StartsWith(PathPrefix, StringComparison.Ordinal);

    // Called under the owner's lock.
    internal void CountMatch() => Interlocked.Increment(ref _matches);

    // Called under the owner's lock.
    internal void CountStrike() => Interlocked.Increment(ref _strikes);
}
