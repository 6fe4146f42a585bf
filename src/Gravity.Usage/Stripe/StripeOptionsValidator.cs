using System.Globalization;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Stripe;

/// <summary>Checks <see cref="StripeOptions"/> and lists every failure at once, never quoting the API key.</summary>
internal sealed class StripeOptionsValidator : IValidateOptions<StripeOptions>
{
    /// <summary>The last API version with usage records; 2025-03-31.basil removed them.</summary>
    internal static readonly DateOnly LastLegacyVersionDate = new(2025, 2, 24);

    internal const int MaxRetriesLimit = 10;

    internal static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, StripeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Client is null)
        {
            if (DescribeInvalidKey(options.ApiKey) is { } keyProblem)
            {
                failures.Add(keyProblem);
            }
        }
        else if (options.Api != StripeUsageApi.MeterEvents && options.Client is not global::Stripe.StripeClient)
        {
            failures.Add($"{options.Api} needs a Stripe.StripeClient as {nameof(StripeOptions.Client)} (the v2 services and raw requests with a pinned version are not on IStripeClient); the client given is a {options.Client.GetType().Name}.");
        }

        var apiBase = options.ApiBase;
        if (apiBase is not null && StripeSecrets.LooksSecret(apiBase.OriginalString))
        {
            failures.Add($"{nameof(StripeOptions.ApiBase)} holds something that looks like a Stripe key (not shown); the key belongs in {nameof(StripeOptions.ApiKey)}.");
        }
        else if (apiBase is null || !apiBase.IsAbsoluteUri || (apiBase.Scheme != Uri.UriSchemeHttps && apiBase.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{nameof(StripeOptions.ApiBase)} must be an absolute http or https address, such as https://api.stripe.com.");
        }
        else if (apiBase.UserInfo.Length > 0 || apiBase.Query.Length > 0 || apiBase.Fragment.Length > 0)
        {
            failures.Add($"{nameof(StripeOptions.ApiBase)} must not carry user information, a query or a fragment; the key belongs in {nameof(StripeOptions.ApiKey)}.");
        }

        if (!TryParseVersionDate(options.LegacyApiVersion, out var legacyDate))
        {
            failures.Add($"{nameof(StripeOptions.LegacyApiVersion)} must look like 2025-02-24.acacia (a valid date, optionally followed by a dot and a lowercase name); it is {Describe(options.LegacyApiVersion, options.ApiKey)}.");
        }
        else if (legacyDate > LastLegacyVersionDate)
        {
            failures.Add($"{nameof(StripeOptions.LegacyApiVersion)} must be no newer than 2025-02-24.acacia: Stripe removed usage records in 2025-03-31.basil; it is {Describe(options.LegacyApiVersion, options.ApiKey)}.");
        }

        if (!Enum.IsDefined(options.Api))
        {
            failures.Add(Invariant($"{nameof(StripeOptions.Api)} must be {nameof(StripeUsageApi.MeterEvents)}, {nameof(StripeUsageApi.MeterEventStream)} or {nameof(StripeUsageApi.LegacyUsageRecords)}; it is {(int)options.Api}."));
        }

        if (options.MaxNetworkRetries is < 0 or > MaxRetriesLimit)
        {
            failures.Add(Invariant($"{nameof(StripeOptions.MaxNetworkRetries)} must be between 0 and {MaxRetriesLimit}; it is {options.MaxNetworkRetries}."));
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > MaxRequestTimeout)
        {
            failures.Add(Invariant($"{nameof(StripeOptions.RequestTimeout)} must be positive and at most 1 hour; it is {options.RequestTimeout}."));
        }

        if (!double.IsFinite(options.MaxRequestsPerSecond) || options.MaxRequestsPerSecond <= 0)
        {
            failures.Add(Invariant($"{nameof(StripeOptions.MaxRequestsPerSecond)} must be a finite number greater than 0; it is {options.MaxRequestsPerSecond}."));
        }

        if (!double.IsFinite(options.MaxStreamEventsPerSecond) || options.MaxStreamEventsPerSecond <= 0)
        {
            failures.Add(Invariant($"{nameof(StripeOptions.MaxStreamEventsPerSecond)} must be a finite number greater than 0; it is {options.MaxStreamEventsPerSecond}."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Describes what is wrong with a key without quoting any of it.</summary>
    private static string? DescribeInvalidKey(string? key)
    {
        const string Name = nameof(StripeOptions.ApiKey);
        if (string.IsNullOrWhiteSpace(key))
        {
            return $"{Name} is required: a Stripe secret key (sk_…) or restricted key (rk_…).";
        }

        if (key.StartsWith("pk_", StringComparison.Ordinal))
        {
            return $"{Name} is a publishable key (pk_…), which cannot report usage; use a secret key (sk_…) or restricted key (rk_…). The value is not shown.";
        }

        if (!key.StartsWith("sk_", StringComparison.Ordinal) && !key.StartsWith("rk_", StringComparison.Ordinal))
        {
            return $"{Name} must be a Stripe secret key (sk_…) or restricted key (rk_…); the value given does not start with either prefix. The value is not shown.";
        }

        foreach (var c in key)
        {
            if (c is <= ' ' or > '~')
            {
                return $"{Name} contains white space, control or non-ASCII characters, so it cannot be a Stripe key (copied with surrounding text?). The value is not shown.";
            }
        }

        return null;
    }

    /// <summary>Parses the date part of a Stripe API version: <c>YYYY-MM-DD</c> optionally followed by <c>.name</c>.</summary>
    internal static bool TryParseVersionDate(string? version, out DateOnly date)
    {
        date = default;
        if (string.IsNullOrEmpty(version) || version.Length < 10 || version.Length > 64)
        {
            return false;
        }

        if (version.Length > 10)
        {
            if (version[10] != '.' || version.Length == 11)
            {
                return false;
            }

            foreach (var c in version.AsSpan(11))
            {
                if (c is not (>= 'a' and <= 'z'))
                {
                    return false;
                }
            }
        }

        return DateOnly.TryParseExact(version.AsSpan(0, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }

    /// <summary>Quotes a malformed setting, unless it could be a secret pasted into the wrong place.</summary>
    private static string Describe(string? value, string? apiKey) =>
        !string.IsNullOrEmpty(apiKey) && value is not null && value.Contains(apiKey, StringComparison.Ordinal)
            ? "(a value that looks like a key, not shown)"
            : StripeSecrets.Describe(value);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
