namespace Gravity.Usage;

/// <summary>
/// An idempotency key came back with different content than the call it was first recorded with (another quantity,
/// another bucket, another set of meters): a client that reuses request ids, not a retry. Nothing was recorded.
/// </summary>
/// <remarks>
/// <para>
/// Stripe answers the same case with an <c>idempotency_error</c>. Treating it as a duplicate would drop the second
/// call's usage without a sign; counting it would bill a retry twice. So the call is refused, and the usage already
/// recorded under the key is left as it was. Give the new usage a key of its own.
/// </para>
/// <para>
/// <see cref="ArgumentException.ParamName"/> is <c>idempotencyKey</c>. The message says what differs (as far as the
/// stored fingerprint tells) and names neither the key nor the account.
/// </para>
/// <para>
/// It is not a <see cref="UsageInputException"/>: the call breaks no input rule (it was valid the first time, and
/// <see cref="UsageInput"/> accepts it); it contradicts what the ledger holds. So a host can answer it apart (the ASP.NET
/// Core package answers 409, not 400), while <c>catch (ArgumentException)</c> still sees both.
/// </para>
/// </remarks>
public sealed class UsageIdempotencyConflictException : ArgumentException
{
    private const string DefaultMessage =
        "The idempotency key was already used for a call with different content (meters, quantities or bucket); nothing was recorded. A retry must repeat the original call exactly; new usage needs a new key.";

    /// <summary>Initializes a new instance of the <see cref="UsageIdempotencyConflictException"/> class.</summary>
    public UsageIdempotencyConflictException()
        : base(DefaultMessage, "idempotencyKey")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageIdempotencyConflictException"/> class with a message.</summary>
    /// <param name="message">What differs from the call first recorded under the key; never the key itself.</param>
    public UsageIdempotencyConflictException(string message)
        : base(message, "idempotencyKey")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageIdempotencyConflictException"/> class with a message and a cause.</summary>
    /// <param name="message">What differs from the call first recorded under the key; never the key itself.</param>
    /// <param name="innerException">The cause.</param>
    public UsageIdempotencyConflictException(string message, Exception innerException)
        : base(message, "idempotencyKey", innerException)
    {
    }
}
