using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.AspNetCore.Webhooks;

/// <summary>
/// The webhook request: read the body (bounded), verify the signature, read the envelope, drop repeats, dispatch by
/// event type. Answers within the request's own work: slow work is queued by the handlers.
/// </summary>
internal sealed partial class StripeWebhookEndpoint
{
    private readonly StripeSignatureVerifier _verifier;
    private readonly ProcessedStripeEvents _processed;
    private readonly Dictionary<string, IStripeWebhookHandler> _handlers;
    private readonly IOptions<StripeUsageWebhookOptions> _options;
    private readonly ILogger _logger;

    public StripeWebhookEndpoint(
        StripeSignatureVerifier verifier,
        ProcessedStripeEvents processed,
        IEnumerable<IStripeWebhookHandler> handlers,
        IOptions<StripeUsageWebhookOptions> options,
        ILogger<StripeWebhookEndpoint> logger)
    {
        _verifier = verifier;
        _processed = processed;
        _handlers = new Dictionary<string, IStripeWebhookHandler>(StringComparer.Ordinal);
        foreach (var handler in handlers)
        {
            // The last registration of a type wins, as with DI's own replacements.
            _handlers[handler.EventType] = handler;
        }

        _options = options;
        _logger = logger;
    }

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var limit = _options.Value.MaxPayloadBytes;
        if (request.ContentLength > limit)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "The webhook body is too large.");
        }

        var payload = await ReadBodyAsync(request, limit, context.RequestAborted).ConfigureAwait(false);
        if (payload is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "The webhook body is too large.");
        }

        if (!_verifier.IsValid(payload, request.Headers["Stripe-Signature"].ToString(), out var problem))
        {
            LogRefused(_logger, problem!);
            return Problem(StatusCodes.Status400BadRequest, problem!);
        }

        if (!StripeWebhookEnvelope.TryParse(payload, out var envelope))
        {
            return Problem(StatusCodes.Status400BadRequest, "The webhook body is not a Stripe event.");
        }

        if (!_handlers.TryGetValue(envelope!.Type, out var handler))
        {
            return Answer("ignored");
        }

        if (!_processed.TryClaim(envelope.Id))
        {
            LogRepeat(_logger, envelope.Id, envelope.Type);
            return Answer("duplicate");
        }

        StripeWebhookOutcome outcome;
        try
        {
            outcome = await handler.HandleAsync(envelope, context.RequestAborted).ConfigureAwait(false);
        }
        catch
        {
            // Not taken: a resend must be handled again.
            _processed.Release(envelope.Id);
            throw;
        }

        switch (outcome)
        {
            case StripeWebhookOutcome.Busy:
                _processed.Release(envelope.Id);
                LogBusy(_logger, envelope.Id);
                context.Response.Headers.RetryAfter = "60";
                return Problem(StatusCodes.Status503ServiceUnavailable, "The usage flush queue is full; deliver the event again later.");
            case StripeWebhookOutcome.Accepted:
                LogAccepted(_logger, envelope.Id, envelope.Type);
                return Answer("accepted");
            default:
                return Answer("ignored");
        }
    }

    /// <summary>Reads the body as UTF-8, or <see langword="null"/> when it is longer than <paramref name="limit"/> bytes.</summary>
    private static async Task<string?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static IResult Answer(string outcome) => Results.Json(new { received = true, outcome });

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Stripe webhook refused: {Problem}")]
    private static partial void LogRefused(ILogger logger, string problem);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Stripe event {EventId} ({EventType}) was already taken; nothing more is done.")]
    private static partial void LogRepeat(ILogger logger, string eventId, string eventType);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "Stripe event {EventId}: the usage flush queue is full; answered 503 so that Stripe delivers it again.")]
    private static partial void LogBusy(ILogger logger, string eventId);

    [LoggerMessage(EventId = 33, Level = LogLevel.Information, Message = "Stripe event {EventId} ({EventType}) accepted.")]
    private static partial void LogAccepted(ILogger logger, string eventId, string eventType);
}
