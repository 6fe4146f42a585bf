using System.Diagnostics.CodeAnalysis;
using Gravity.Usage.AspNetCore.Reads;
using Gravity.Usage.AspNetCore.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Gravity.Usage's endpoints: the Stripe usage webhook and the account usage read.</summary>
public static class UsageEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the Stripe usage webhook (<c>POST</c>) at <paramref name="pattern"/>: point a Stripe webhook endpoint with the
    /// <c>invoice.created</c> event at it. A missing, bad or expired <c>Stripe-Signature</c> is answered 400 and changes
    /// nothing; unknown event types 200 and are ignored. The endpoint allows anonymous requests (Stripe signs, it does
    /// not log in). Needs <c>AddStripeUsageWebhook</c>.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The route, such as <c>/stripe/usage</c>.</param>
    /// <returns>The endpoint's builder, for further conventions.</returns>
    /// <exception cref="InvalidOperationException"><c>AddStripeUsageWebhook</c> was not called.</exception>
    public static IEndpointConventionBuilder MapStripeUsageWebhook(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        var endpoint = endpoints.ServiceProvider.GetService<StripeWebhookEndpoint>()
            ?? throw new InvalidOperationException("Call builder.Services.AddStripeUsageWebhook(o => o.WebhookSecret = ...) before MapStripeUsageWebhook.");
        return endpoints.MapPost(pattern, (Func<HttpContext, Task<IResult>>)endpoint.HandleAsync)
            .AllowAnonymous()
            .WithDisplayName("Gravity.Usage Stripe webhook")
            .ExcludeFromDescription();
    }

    /// <summary>
    /// Maps a read of one account's usage (<c>GET</c>) for the host's dashboard: the pattern must hold an
    /// <c>{account}</c> parameter; the query takes <c>from</c> and <c>to</c> (ISO 8601, the current UTC calendar month
    /// when left out). The answer is JSON: the period and, per meter, the quantity, reported and unreported. Only
    /// callers that satisfy <paramref name="authorizationPolicy"/> get it: the host decides who may see whose usage.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The route, such as <c>/usage/{account}</c>.</param>
    /// <param name="authorizationPolicy">The host's authorization policy; required.</param>
    /// <returns>The endpoint's builder, for further conventions.</returns>
    /// <exception cref="ArgumentException">The pattern has no <c>{account}</c> parameter, or the policy is empty.</exception>
    public static IEndpointConventionBuilder MapAccountUsage(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern, string authorizationPolicy)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        ArgumentException.ThrowIfNullOrWhiteSpace(authorizationPolicy);
        if (!pattern.Contains("{account}", StringComparison.Ordinal))
        {
            throw new ArgumentException("The pattern must hold an {account} route parameter, such as /usage/{account}.", nameof(pattern));
        }

        return endpoints.MapGet(pattern, AccountUsageEndpoint.HandleAsync)
            .RequireAuthorization(authorizationPolicy)
            .WithDisplayName("Gravity.Usage account usage");
    }
}
