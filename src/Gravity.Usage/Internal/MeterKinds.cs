namespace Gravity.Usage.Internal;

/// <summary>The kind of a declared meter, and the messages that point a caller at the right call for it.</summary>
internal static class MeterKinds
{
    /// <summary>The kind a meter is declared with; the default meter without options of its own, and undeclared ones, are sums.</summary>
    public static MeterKind Of(UsageBillingOptions options, string meter) =>
        options.Meters.TryGetValue(meter, out var meterOptions) && meterOptions is not null ? meterOptions.Kind : MeterKind.Sum;

    /// <summary>Whether the kind is a gauge, whose readings are set rather than added.</summary>
    public static bool IsGauge(MeterKind kind) => kind != MeterKind.Sum;

    public static string IncrementOnGauge(string meter, MeterKind kind) =>
        $"The meter '{meter}' is a {kind} gauge: record its readings with SetAsync(account, value, \"{meter}\"); IncrementAsync adds to Sum meters only. Nothing was recorded.";

    public static string SetOnSum(string meter) =>
        $"The meter '{meter}' is a Sum meter: add to it with IncrementAsync(account, quantity, \"{meter}\"); SetAsync records readings of gauge meters only (MeterOptions.Kind Last, Max or LastEver). Nothing was recorded.";
}
