using System.Globalization;

namespace Gravity.Usage.Internal;

/// <summary>The rules every account, meter and idempotency key must follow, with errors that name the argument and the rule.</summary>
internal static class UsageRules
{
    public const int MaxAccountLength = 200;
    public const int MaxMeterLength = 100;
    public const int MaxIdempotencyKeyLength = 255;

    public static void ValidateAccount(string? account, string paramName = "account")
    {
        ArgumentNullException.ThrowIfNull(account, paramName);
        if (string.IsNullOrWhiteSpace(account) || account.Length > MaxAccountLength)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"An account must be 1 to {MaxAccountLength} characters and not only white space; this one is {account.Length} characters."),
                paramName);
        }
    }

    public static string? DescribeInvalidMeterName(string? meter)
    {
        if (meter is null)
        {
            return "A meter name is required.";
        }

        if (meter.Length is 0 or > MaxMeterLength || string.IsNullOrWhiteSpace(meter))
        {
            return string.Create(CultureInfo.InvariantCulture, $"A meter name must be 1 to {MaxMeterLength} characters and not only white space; '{meter}' is {meter.Length} characters.");
        }

        if (meter.Trim().Length != meter.Length || meter.Any(char.IsControl))
        {
            return $"A meter name may not start or end with white space or contain control characters; '{meter}' does.";
        }

        return null;
    }

    public static void ValidateMeterName(string? meter, string paramName)
    {
        ArgumentNullException.ThrowIfNull(meter, paramName);
        if (DescribeInvalidMeterName(meter) is { } problem)
        {
            throw new ArgumentException(problem, paramName);
        }
    }

    public static void ValidateIdempotencyKey(string? key, string paramName = "idempotencyKey")
    {
        if (key is not null && (string.IsNullOrWhiteSpace(key) || key.Length > MaxIdempotencyKeyLength))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"An idempotency key must be 1 to {MaxIdempotencyKeyLength} characters and not only white space; this one is {key.Length} characters."),
                paramName);
        }
    }
}
