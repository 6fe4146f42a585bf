using Stripe;

namespace Gravity.Usage.Tool;

/// <summary>
/// The Stripe client of the commands that talk to Stripe (reconciliation), built from the environment only:
/// <c>STRIPE_API_KEY</c> (a secret or restricted key) and, for tests against the stand-in, <c>STRIPE_API_BASE</c>. Commands
/// that do not need Stripe never call it, so they run without a key. The key is never printed, not even in an error.
/// </summary>
internal static class StripeEnvironment
{
    public const string ApiKeyVariable = "STRIPE_API_KEY";

    public const string ApiBaseVariable = "STRIPE_API_BASE";

    /// <summary>Builds the client, or explains in one line what is missing.</summary>
    /// <exception cref="ToolException">The key is missing or not a Stripe secret key (exit code 1).</exception>
    public static StripeClient CreateClient(ToolEnvironment environment)
    {
        var key = environment.GetVariable(ApiKeyVariable);
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new ToolException($"This command talks to Stripe: set {ApiKeyVariable} to a secret key (sk_...) or restricted key (rk_...).");
        }

        if (!key.StartsWith("sk_", StringComparison.Ordinal) && !key.StartsWith("rk_", StringComparison.Ordinal))
        {
            throw new ToolException($"{ApiKeyVariable} is not a Stripe secret or restricted key (it must start with sk_ or rk_).");
        }

        var apiBase = environment.GetVariable(ApiBaseVariable);
        if (string.IsNullOrWhiteSpace(apiBase))
        {
            return new StripeClient(key);
        }

        if (!Uri.TryCreate(apiBase, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ToolException($"{ApiBaseVariable} must be an absolute http(s) URL.");
        }

        return new StripeClient(key, apiBase: uri.ToString().TrimEnd('/'));
    }
}
