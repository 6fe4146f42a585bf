using System.Globalization;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Internal;

/// <summary>Validates <see cref="UsageReconciliationOptions"/>, listing every failure.</summary>
internal sealed class UsageReconciliationOptionsValidator : IValidateOptions<UsageReconciliationOptions>
{
    public ValidateOptionsResult Validate(string? name, UsageReconciliationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SettleTime < UsageReconciliationOptions.MinSettleTime || options.SettleTime > UsageReconciliationOptions.MaxSettleTime)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"UsageReconciliationOptions.SettleTime ({options.SettleTime}) must be from {UsageReconciliationOptions.MinSettleTime} to {UsageReconciliationOptions.MaxSettleTime}."));
        }

        if (options.MaxUnknownReportsPerHour is < 1 or > 16)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"UsageReconciliationOptions.MaxUnknownReportsPerHour ({options.MaxUnknownReportsPerHour}) must be from 1 to 16."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every failure, for a reconciler made without a host.</summary>
    public static void ThrowIfInvalid(UsageReconciliationOptions options)
    {
        var result = new UsageReconciliationOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(UsageReconciliationOptions), result.Failures);
        }
    }
}
