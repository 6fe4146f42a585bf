namespace Gravity.Usage;

/// <summary>
/// A value given to one of the library's calls breaks a usage input rule: a malformed or undeclared account, meter,
/// idempotency key or reason, a quantity, value or delta out of range, a timestamp too far from the clock, a bad period,
/// part or query. Nothing was recorded.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="ArgumentException.ParamName"/> names the argument (<c>account</c>, <c>quantity</c>, <c>parts</c> ...) and
/// the message states the rule it breaks. The message never repeats an idempotency key or a secret. It derives from
/// <see cref="ArgumentException"/>, so existing <c>catch (ArgumentException)</c> blocks still see it; catch this type to
/// tell your callers' bad input from your own bugs (the ASP.NET Core package's <c>AddUsageProblemDetails()</c> answers
/// it with 400). Check input before metering with <see cref="UsageInput"/>, which applies the same rules.
/// </para>
/// <para>
/// An idempotency key reused for other usage is not an input error (the same call was valid the first time) and raises
/// <see cref="UsageIdempotencyConflictException"/> instead.
/// </para>
/// </remarks>
public sealed class UsageInputException : ArgumentException
{
    /// <summary>Initializes a new instance of the <see cref="UsageInputException"/> class.</summary>
    public UsageInputException()
        : base("A usage input breaks a rule; nothing was recorded.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageInputException"/> class with a message.</summary>
    /// <param name="message">The rule that was broken.</param>
    public UsageInputException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageInputException"/> class with a message and a cause.</summary>
    /// <param name="message">The rule that was broken.</param>
    /// <param name="innerException">The cause.</param>
    public UsageInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageInputException"/> class with a message and the argument's name.</summary>
    /// <param name="message">The rule that was broken; never an idempotency key or a secret.</param>
    /// <param name="paramName">The argument that breaks it, reported as <see cref="ArgumentException.ParamName"/>.</param>
    public UsageInputException(string message, string? paramName)
        : base(message, paramName)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageInputException"/> class with a message, the argument's name and a cause.</summary>
    /// <param name="message">The rule that was broken; never an idempotency key or a secret.</param>
    /// <param name="paramName">The argument that breaks it, reported as <see cref="ArgumentException.ParamName"/>.</param>
    /// <param name="innerException">The cause.</param>
    public UsageInputException(string message, string? paramName, Exception innerException)
        : base(message, paramName, innerException)
    {
    }
}
