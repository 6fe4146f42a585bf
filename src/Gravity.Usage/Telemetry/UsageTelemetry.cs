namespace Gravity.Usage;

/// <summary>
/// The names under which Gravity.Usage publishes its metrics and traces, for OpenTelemetry or any other listener:
/// <c>.AddMeter(UsageTelemetry.MeterName)</c> and <c>.AddSource(UsageTelemetry.ActivitySourceName)</c>.
/// </summary>
/// <remarks>
/// Instrument names are lowercase and dotted under <c>gravity.usage.</c> (OpenTelemetry's convention); units are UCUM
/// (<c>s</c>, <c>{increment}</c>, <c>{report}</c>); tag names are dotted under <c>gravity.usage.</c> too. No tag ever
/// carries a Stripe key or session token, an account id or an idempotency key. The README's Telemetry section lists every
/// instrument and span.
/// </remarks>
public static class UsageTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> every instrument belongs to.</summary>
    public const string MeterName = "Gravity.Usage";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> every span comes from.</summary>
    public const string ActivitySourceName = "Gravity.Usage";
}
