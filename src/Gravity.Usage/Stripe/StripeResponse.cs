namespace Gravity.Usage.Stripe;

/// <summary>A successful (2xx) answer from Stripe.</summary>
/// <param name="StatusCode">The HTTP status code.</param>
/// <param name="Body">The JSON body.</param>
/// <param name="RequestId">Stripe's <c>Request-Id</c> header, when present.</param>
/// <param name="IdempotentReplayed">Whether Stripe replayed the stored answer of an earlier request with the same <c>Idempotency-Key</c>.</param>
/// <param name="Attempts">How many attempts it took.</param>
internal sealed record StripeResponse(int StatusCode, string Body, string? RequestId, bool IdempotentReplayed, int Attempts);
