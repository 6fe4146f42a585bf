using System.Globalization;
using Gravity.Usage.Internal;

namespace Gravity.Usage;

/// <summary>
/// Checks usage input before it is metered, with the very rules <see cref="UsageMeter"/> applies: each method returns
/// the <see cref="UsageInputException"/> the meter would throw for the value, or <see langword="null"/> when the
/// meter accepts it.
/// </summary>
/// <remarks>
/// Use it to refuse a request early (before other work is done for it), to validate a form, or to turn the error into
/// your own answer: <c>if (UsageInput.CheckAccount(id) is { } error) return Results.BadRequest(error.Message);</c>, or
/// <c>throw error</c>. The checks of meters and quantities take the <see cref="UsageBillingOptions"/> the meter was
/// built with (inject <c>IOptions&lt;UsageBillingOptions&gt;</c>). What depends on the clock (a timestamp) or on what
/// is stored (an idempotency conflict, a counter's room) is checked by the call itself.
/// </remarks>
public static partial class UsageInput
{
    /// <summary>Checks an account id: 1 to 200 characters of well-formed UTF-16, no control characters, not only white space or invisible characters.</summary>
    /// <param name="account">The account id.</param>
    /// <returns>The error, whose <see cref="ArgumentException.ParamName"/> is <c>account</c>, or <see langword="null"/>.</returns>
    public static UsageInputException? CheckAccount(string? account) =>
        UsageRules.CheckIdentifier(account, nameof(account), "An account", UsageRules.MaxAccountLength);

    /// <summary>Checks an optional idempotency key: none at all, or 1 to 255 characters of the account's rule.</summary>
    /// <param name="idempotencyKey">The key, or <see langword="null"/> for none.</param>
    /// <returns>The error, whose <see cref="ArgumentException.ParamName"/> is <c>idempotencyKey</c>, or <see langword="null"/>. The message never repeats the key.</returns>
    public static UsageInputException? CheckIdempotencyKey(string? idempotencyKey) =>
        idempotencyKey is null ? null : UsageRules.CheckIdentifier(idempotencyKey, nameof(idempotencyKey), "An idempotency key", UsageRules.MaxIdempotencyKeyLength);

    /// <summary>Checks a meter name against the declared meters: well formed, and declared (with <c>AddMeter</c>, or the default meter).</summary>
    /// <param name="options">The options the meter was built with.</param>
    /// <param name="meter">The meter name; <see cref="UsageBillingOptions.DefaultMeter"/> when <see langword="null"/>, as the meter's calls take it.</param>
    /// <returns>The error, whose <see cref="ArgumentException.ParamName"/> is <c>meter</c>, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public static UsageInputException? CheckMeter(UsageBillingOptions options, string? meter)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CheckDeclaredMeter(options, meter ?? options.DefaultMeter, nameof(meter));
    }

    /// <summary>Checks the quantity of an increment: at least 1 and at most <see cref="UsageBillingOptions.MaxIncrementQuantity"/>.</summary>
    /// <param name="options">The options the meter was built with.</param>
    /// <param name="quantity">The quantity.</param>
    /// <returns>The error, whose <see cref="ArgumentException.ParamName"/> is <c>quantity</c>, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public static UsageInputException? CheckQuantity(UsageBillingOptions options, long quantity)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CheckQuantity(options, quantity, nameof(quantity));
    }

    /// <summary>Checks a gauge reading's value: at least 0 and at most <see cref="UsageBillingOptions.MaxCounterQuantity"/>.</summary>
    /// <param name="value">The value read.</param>
    /// <returns>The error, whose <see cref="ArgumentException.ParamName"/> is <c>value</c>, or <see langword="null"/>.</returns>
    public static UsageInputException? CheckValue(long value) =>
        value < 0 || value > UsageBillingOptions.MaxCounterQuantity
            ? new UsageInputException(
                string.Create(CultureInfo.InvariantCulture, $"A gauge value must be at least 0 and at most {UsageBillingOptions.MaxCounterQuantity} (MaxCounterQuantity); this one is {value}. Nothing was recorded."),
                nameof(value))
            : null;

    /// <summary>
    /// Checks the arguments of <see cref="IUsageMeter.IncrementAsync"/> in the order the meter does: the account, the
    /// quantity, the meter (declared, and a <see cref="MeterKind.Sum"/> meter), the key.
    /// </summary>
    /// <param name="options">The options the meter was built with.</param>
    /// <param name="account">The account id.</param>
    /// <param name="quantity">The quantity.</param>
    /// <param name="meter">The meter; <see cref="UsageBillingOptions.DefaultMeter"/> when <see langword="null"/>.</param>
    /// <param name="idempotencyKey">The optional key.</param>
    /// <returns>The first error, or <see langword="null"/> when the meter accepts the arguments (a timestamp aside).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public static UsageInputException? CheckIncrement(UsageBillingOptions options, string? account, long quantity = 1, string? meter = null, string? idempotencyKey = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CheckAccount(account)
            ?? CheckQuantity(options, quantity, nameof(quantity))
            ?? CheckMeterOfKind(options, meter ?? options.DefaultMeter, gauge: false)
            ?? CheckIdempotencyKey(idempotencyKey);
    }

    /// <summary>
    /// Checks the arguments of <see cref="IUsageMeter.SetAsync"/> in the order the meter does: the account, the value,
    /// the meter (declared, and a gauge), the key.
    /// </summary>
    /// <param name="options">The options the meter was built with.</param>
    /// <param name="account">The account id.</param>
    /// <param name="value">The value read.</param>
    /// <param name="meter">The gauge meter; <see cref="UsageBillingOptions.DefaultMeter"/> when <see langword="null"/>.</param>
    /// <param name="idempotencyKey">The optional key.</param>
    /// <returns>The first error, or <see langword="null"/> when the meter accepts the arguments (a timestamp aside).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public static UsageInputException? CheckReading(UsageBillingOptions options, string? account, long value, string? meter = null, string? idempotencyKey = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CheckAccount(account)
            ?? CheckValue(value)
            ?? CheckMeterOfKind(options, meter ?? options.DefaultMeter, gauge: true)
            ?? CheckIdempotencyKey(idempotencyKey);
    }

    internal static UsageInputException? CheckQuantity(UsageBillingOptions options, long quantity, string paramName) =>
        quantity < 1 || quantity > options.MaxIncrementQuantity
            ? new UsageInputException(
                string.Create(CultureInfo.InvariantCulture, $"A quantity must be at least 1 and at most {options.MaxIncrementQuantity} (MaxIncrementQuantity); this one is {quantity}. Nothing was recorded."),
                paramName)
            : null;

    /// <summary>The identifier rule first, so that a malformed name is named as such rather than as merely undeclared.</summary>
    internal static UsageInputException? CheckDeclaredMeter(UsageBillingOptions options, string? meter, string paramName) =>
        UsageRules.CheckIdentifier(meter, paramName, "A meter name", UsageRules.MaxMeterLength)
        ?? (options.IsDeclared(meter!)
            ? null
            : new UsageInputException($"'{meter}' is not a declared meter; declare it with AddMeter(\"{meter}\") when registering usage billing.", paramName));

    private static UsageInputException? CheckMeterOfKind(UsageBillingOptions options, string meter, bool gauge)
    {
        if (CheckDeclaredMeter(options, meter, nameof(meter)) is { } problem)
        {
            return problem;
        }

        var kind = MeterKinds.Of(options, meter);
        return gauge == MeterKinds.IsGauge(kind)
            ? null
            : new UsageInputException(gauge ? MeterKinds.SetOnSum(meter) : MeterKinds.IncrementOnGauge(meter, kind), nameof(meter));
    }
}
