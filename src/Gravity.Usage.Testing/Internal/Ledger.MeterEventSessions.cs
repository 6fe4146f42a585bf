using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>A v2 meter event session: a short-lived token that authenticates the meter event stream.</summary>
internal sealed class MeterEventSession
{
    public required string Id { get; init; }

    public required string Token { get; init; }

    public required DateTimeOffset Created { get; init; }

    public required DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>What a stream request's bearer token is.</summary>
internal enum SessionTokenState
{
    Valid,
    Unknown,
    Expired,
}

internal sealed partial class Ledger
{
    private readonly Dictionary<string, MeterEventSession> _sessionsByToken = new(StringComparer.Ordinal);

    /// <summary><c>POST /v2/billing/meter_event_session</c>: a new token valid for <see cref="StripeStandInOptions.MeterEventSessionLifetime"/>.</summary>
    public EndpointResult CreateMeterEventSession(EndpointContext context)
    {
        // Random, not sequential: a token is a credential, and tests must not be able to guess one into validity.
        var session = new MeterEventSession
        {
            Id = "mes_" + RandomToken(12),
            Token = "mes_tok_" + RandomToken(24),
            Created = context.Now,
            ExpiresAt = context.Now + _options.MeterEventSessionLifetime,
        };
        _sessionsByToken[session.Token] = session;
        return EndpointResult.Ok(new JsonObject
        {
            ["id"] = session.Id,
            ["object"] = "v2.billing.meter_event_session",
            ["authentication_token"] = session.Token,
            ["created"] = Rfc3339(session.Created),
            ["expires_at"] = Rfc3339(session.ExpiresAt),
            ["livemode"] = false,
        });
    }

    /// <summary>Whether a bearer token is a live session token. Expired sessions are kept, so their tokens stay "expired" rather than "unknown".</summary>
    public SessionTokenState CheckSessionToken(string token, DateTimeOffset now) =>
        !_sessionsByToken.TryGetValue(token, out var session) ? SessionTokenState.Unknown
        : now >= session.ExpiresAt ? SessionTokenState.Expired
        : SessionTokenState.Valid;

    /// <summary>Ends every session now (for tests of token renewal).</summary>
    public void ExpireMeterEventSessions(DateTimeOffset now)
    {
        foreach (var session in _sessionsByToken.Values)
        {
            if (session.ExpiresAt > now)
            {
                session.ExpiresAt = now;
            }
        }
    }

    /// <summary>v2 timestamps: RFC 3339 in UTC with milliseconds, as Stripe writes them.</summary>
    internal static string Rfc3339(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string RandomToken(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return RandomNumberGenerator.GetString(alphabet, length);
    }
}
