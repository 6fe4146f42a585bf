using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>A Stripe error answer raised by an endpoint or the pipeline; turned into <c>{"error":{...}}</c>.</summary>
internal sealed class StripeErrorException : Exception
{
    public StripeErrorException()
        : this(400, StripeErrors.InvalidRequest, "Invalid request.", null, null, storable: false)
    {
    }

    public StripeErrorException(string message)
        : this(400, StripeErrors.InvalidRequest, message, null, null, storable: false)
    {
    }

    public StripeErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = 400;
        ErrorType = StripeErrors.InvalidRequest;
    }

    public StripeErrorException(int statusCode, string errorType, string message, string? code, string? param, bool storable)
        : base(message)
    {
        StatusCode = statusCode;
        ErrorType = errorType;
        Code = code;
        Param = param;
        Storable = storable;
    }

    public int StatusCode { get; }

    public string ErrorType { get; }

    public string? Code { get; }

    public string? Param { get; }

    /// <summary>Whether the error was produced once the endpoint began executing (stored under the Idempotency-Key), as opposed to parameter validation.</summary>
    public bool Storable { get; }

    public JsonObject ToBody() => StripeErrors.Body(ErrorType, Message, Code, Param);
}
