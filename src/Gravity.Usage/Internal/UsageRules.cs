using System.Globalization;
using System.Text;

namespace Gravity.Usage.Internal;

/// <summary>The rules every account, meter and idempotency key must follow, with errors that name the argument and the rule.</summary>
/// <remarks>
/// Every identifying string (an account, a meter name, an idempotency key, and later Stripe ids) follows one rule, so
/// that what is refused is refused on every path, write and read alike, before any store sees it. The rule exists
/// because stores disagree on what they can keep: PostgreSQL refuses NUL and unpaired surrogates (failing the whole
/// transaction), SQLite silently turns an unpaired surrogate into U+FFFD (so different strings collide), and an
/// identifier that looks empty (only zero-width characters) is almost certainly a bug in the caller.
/// </remarks>
internal static class UsageRules
{
    public const int MaxAccountLength = 200;
    public const int MaxMeterLength = 100;
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>The rule every identifier follows, as stated in error messages.</summary>
    public const string IdentifierRule =
        "well-formed UTF-16 (no unpaired surrogates), no NUL or other control characters, and not only white space or invisible format characters such as U+200B";

    /// <summary>
    /// Describes why <paramref name="value"/> cannot serve as an identifier of at most <paramref name="maxLength"/>
    /// characters, or returns <see langword="null"/> when it can.
    /// </summary>
    /// <param name="value">The candidate identifier.</param>
    /// <param name="what">What the identifier is, for the message: "An account", "A meter name", "A Stripe customer id".</param>
    /// <param name="maxLength">The most UTF-16 code units it may have.</param>
    /// <returns>The problem, naming the rule, or <see langword="null"/>.</returns>
    /// <remarks>
    /// The rule: 1 to <paramref name="maxLength"/> characters; well-formed UTF-16, i.e. every surrogate is half of a
    /// pair; no control character (Unicode category Cc: NUL, tab, line feeds, DEL, C1); and at least one character
    /// that is neither white space nor an invisible format character (category Cf: U+200B, U+FEFF, U+2060 ...).
    /// </remarks>
    public static string? DescribeInvalidIdentifier(string? value, string what, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(what);
        if (value is null)
        {
            return $"{Rule()}; it is null.";
        }

        if (value.Length is 0 || value.Length > maxLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Rule()}; this one is {value.Length} characters.");
        }

        var visible = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                // A surrogate pair is one supplementary character; none of those is a control or white space.
                visible = visible || !IsInvisible(Rune.GetUnicodeCategory(new Rune(c, value[i + 1])));
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return string.Create(CultureInfo.InvariantCulture, $"{Rule()}; this one has an unpaired surrogate U+{(int)c:X4} at index {i}.");
            }

            if (char.IsControl(c))
            {
                return string.Create(CultureInfo.InvariantCulture, $"{Rule()}; this one has the control character U+{(int)c:X4} at index {i}.");
            }

            visible = visible || !(char.IsWhiteSpace(c) || IsInvisible(char.GetUnicodeCategory(c)));
        }

        return visible ? null : $"{Rule()}; this one has only white space or invisible characters.";

        // Built only for a value that breaks the rule: every increment is checked, and nearly all pass.
        string Rule() => string.Create(CultureInfo.InvariantCulture, $"{what} must be 1 to {maxLength} characters of {IdentifierRule}");
    }

    /// <summary>Throws when <paramref name="value"/> breaks the identifier rule (<see cref="DescribeInvalidIdentifier"/>).</summary>
    /// <param name="value">The candidate identifier.</param>
    /// <param name="paramName">The argument's name, reported as <see cref="ArgumentException.ParamName"/>.</param>
    /// <param name="what">What the identifier is, for the message.</param>
    /// <param name="maxLength">The most UTF-16 code units it may have.</param>
    /// <exception cref="UsageInputException"><paramref name="value"/> is <see langword="null"/> or breaks the rule; the message states it.</exception>
    public static void ValidateIdentifier(string? value, string paramName, string what, int maxLength)
    {
        if (CheckIdentifier(value, paramName, what, maxLength) is { } problem)
        {
            throw problem;
        }
    }

    /// <summary>The error for <paramref name="value"/> breaking the identifier rule, or <see langword="null"/>.</summary>
    public static UsageInputException? CheckIdentifier(string? value, string paramName, string what, int maxLength) =>
        DescribeInvalidIdentifier(value, what, maxLength) is { } problem ? new UsageInputException(problem, paramName) : null;

    public static void ValidateAccount(string? account, string paramName = "account") =>
        ValidateIdentifier(account, paramName, "An account", MaxAccountLength);

    /// <summary>Stripe's ids (customers, subscription items) are at most 255 characters.</summary>
    public const int MaxStripeIdLength = 255;

    /// <summary>Checks an account mapping before it is stored: the account, its Stripe customer id and its subscription items.</summary>
    public static void ValidateAccountMapping(UsageAccount mapping, string paramName)
    {
        if (CheckAccountMapping(mapping, paramName) is { } problem)
        {
            throw problem;
        }
    }

    /// <summary>The error for a mapping that may not be stored, or <see langword="null"/>.</summary>
    public static UsageInputException? CheckAccountMapping(UsageAccount? mapping, string paramName)
    {
        if (mapping is null)
        {
            return new UsageInputException("An account mapping is required; it is null.", paramName);
        }

        var problem = DescribeInvalidIdentifier(mapping.Account, "An account", MaxAccountLength)
            ?? (mapping.StripeCustomerId is { } customer ? DescribeInvalidIdentifier(customer, "A Stripe customer id", MaxStripeIdLength) : null);
        foreach (var (meter, item) in mapping.SubscriptionItems ?? new Dictionary<string, string>())
        {
            problem ??= DescribeInvalidIdentifier(meter, "A meter name", MaxMeterLength)
                ?? DescribeInvalidIdentifier(item, "A Stripe subscription item id", MaxStripeIdLength);
        }

        return problem is null ? null : new UsageInputException(problem, paramName);
    }

    public static string? DescribeInvalidMeterName(string? meter)
    {
        if (meter is null)
        {
            return "A meter name is required.";
        }

        if (DescribeInvalidIdentifier(meter, "A meter name", MaxMeterLength) is { } problem)
        {
            return problem;
        }

        if (meter.Trim().Length != meter.Length)
        {
            return $"A meter name may not start or end with white space; '{meter}' does.";
        }

        return null;
    }

    /// <summary>Checks a meter name being declared (configuration, not usage input: a plain <see cref="ArgumentException"/>).</summary>
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
        if (key is not null)
        {
            ValidateIdentifier(key, paramName, "An idempotency key", MaxIdempotencyKeyLength);
        }
    }

    /// <summary>
    /// Describes the first increment of a batch whose account, meter or key breaks the identifier rule, or whose
    /// quantity is not 1 to <see cref="UsageBillingOptions.MaxCounterQuantity"/>, or returns
    /// <see langword="null"/>. Stores check this before writing, so that what the meter refuses is refused from any caller.
    /// </summary>
    /// <param name="increments">The batch.</param>
    /// <returns>The problem, naming the increment's index and the rule, or <see langword="null"/>.</returns>
    public static string? DescribeInvalidIncrement(IReadOnlyList<UsageIncrement> increments)
    {
        ArgumentNullException.ThrowIfNull(increments);
        for (var i = 0; i < increments.Count; i++)
        {
            var increment = increments[i];
            var problem = DescribeInvalidIdentifier(increment.Account, "An account", MaxAccountLength)
                ?? DescribeInvalidIdentifier(increment.Meter, "A meter name", MaxMeterLength)
                ?? (increment.IdempotencyKey is { } key ? DescribeInvalidIdentifier(key, "An idempotency key", MaxIdempotencyKeyLength) : null)
                ?? DescribeInvalidQuantity(increment);
            if (problem is not null)
            {
                return string.Create(CultureInfo.InvariantCulture, $"Increment {i} of the batch: {problem}");
            }
        }

        for (var i = 0; i < increments.Count; i += UsageCalls.SizeAt(increments, i))
        {
            if (UsageCalls.DescribeInvalidCall(increments, i) is { } problem)
            {
                return string.Create(CultureInfo.InvariantCulture, $"Increment {i} of the batch: {problem}");
            }
        }

        return null;
    }

    /// <summary>An increment adds 1 or more; a gauge reading (of a kind that is defined) is 0 or more; neither passes MaxCounterQuantity.</summary>
    private static string? DescribeInvalidQuantity(UsageIncrement increment)
    {
        if (!Enum.IsDefined(increment.Kind))
        {
            return string.Create(CultureInfo.InvariantCulture, $"The meter kind {(int)increment.Kind} is not one of Sum, Last, Max or LastEver.");
        }

        var least = increment.IsReading ? 0 : 1;
        return increment.Quantity < least || increment.Quantity > UsageBillingOptions.MaxCounterQuantity
            ? string.Create(CultureInfo.InvariantCulture, $"A {(increment.IsReading ? "gauge value" : "quantity")} must be at least {least} and at most {UsageBillingOptions.MaxCounterQuantity} (MaxCounterQuantity); this one is {increment.Quantity}.")
            : null;
    }

    private static bool IsInvisible(UnicodeCategory category) =>
        category is UnicodeCategory.Format or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
