using System.Globalization;
using Microsoft.Extensions.Options;

namespace Gravity.Usage;

/// <summary>Checks <see cref="UsageReportingOptions"/> and lists every failure at once.</summary>
internal sealed class UsageReportingOptionsValidator : IValidateOptions<UsageReportingOptions>
{
    public ValidateOptionsResult Validate(string? name, UsageReportingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Check(options.CloseSliceSize is >= 1 and <= 10_000, $"{nameof(options.CloseSliceSize)} must be between 1 and 10000; it is {options.CloseSliceSize}.");
        Check(options.DeliveryBatchSize is >= 1 and <= 10_000, $"{nameof(options.DeliveryBatchSize)} must be between 1 and 10000; it is {options.DeliveryBatchSize}.");
        Check(options.MaxConcurrency is >= 1 and <= 256, $"{nameof(options.MaxConcurrency)} must be between 1 and 256; it is {options.MaxConcurrency}.");
        Check(options.LeaseDuration >= TimeSpan.FromSeconds(30), $"{nameof(options.LeaseDuration)} must be at least 30 seconds; it is {options.LeaseDuration}.");
        Check(
            options.SafeResendWindow >= TimeSpan.FromHours(1) && options.SafeResendWindow <= TimeSpan.FromHours(23),
            $"{nameof(options.SafeResendWindow)} must be between 1 and 23 hours (Stripe forgets identifiers after about 24 hours); it is {options.SafeResendWindow}.");
        Check(options.RetryBaseDelay >= TimeSpan.FromSeconds(1), $"{nameof(options.RetryBaseDelay)} must be at least 1 second; it is {options.RetryBaseDelay}.");
        Check(options.RetryMaxDelay >= options.RetryBaseDelay, $"{nameof(options.RetryMaxDelay)} must be at least {nameof(options.RetryBaseDelay)}; it is {options.RetryMaxDelay}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(bool valid, FormattableString failure)
        {
            if (!valid)
            {
                failures.Add(failure.ToString(CultureInfo.InvariantCulture));
            }
        }
    }
}
