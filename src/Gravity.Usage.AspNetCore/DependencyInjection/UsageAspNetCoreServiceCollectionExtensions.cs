using Gravity.Usage.AspNetCore;
using Gravity.Usage.AspNetCore.Errors;
using Gravity.Usage.AspNetCore.Flush;
using Gravity.Usage.AspNetCore.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Gravity.Usage's ASP.NET Core parts: the Stripe usage webhook and the problem-details mapping.</summary>
public static class UsageAspNetCoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Stripe usage webhook (map it with <c>app.MapStripeUsageWebhook(pattern)</c>): signature checks, the
    /// bounded flush queue and the background service that runs the invoice flushes. The options are validated at start;
    /// usage billing (<c>AddUsageBilling</c> with a sink) must be registered too.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the webhook secret and limits.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddStripeUsageWebhook(this IServiceCollection services, Action<StripeUsageWebhookOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<StripeUsageWebhookOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StripeUsageWebhookOptions>, StripeUsageWebhookOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StripeSignatureVerifier>();
        services.TryAddSingleton<ProcessedStripeEvents>();
        services.TryAddSingleton<InvoiceFlushQueue>();
        services.TryAddSingleton<StripeWebhookEndpoint>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStripeWebhookHandler, InvoiceCreatedHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStripeWebhookHandler, MeterErrorReportHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, InvoiceFlushService>());
        return services;
    }

    /// <summary>
    /// Registers the Stripe usage webhook with its options bound from configuration, such as
    /// <c>AddStripeUsageWebhook(builder.Configuration.GetSection("Usage:Webhook"))</c> with keys <c>WebhookSecret</c>,
    /// <c>SignatureTolerance</c>, <c>QueueCapacity</c>, … (see <see cref="StripeUsageWebhookOptions"/>); choices made in
    /// <paramref name="configure"/> win. Keep the secret in user secrets or an environment variable
    /// (<c>Usage__Webhook__WebhookSecret</c>). Validated at start as in code.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The webhook's configuration section.</param>
    /// <param name="configure">Further settings, applied after the configuration.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddStripeUsageWebhook(this IServiceCollection services, IConfiguration configuration, Action<StripeUsageWebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddStripeUsageWebhook(options =>
        {
            configuration.Bind(options);
            configure?.Invoke(options);
        });
    }

    /// <summary>
    /// Maps the library's errors to problem details: a <see cref="Gravity.Usage.UsageInputException"/> (a bad account,
    /// meter, quantity, timestamp, key or period) becomes 400 with the rule in <c>detail</c> and the parameter's name in
    /// <c>parameter</c>; a <see cref="Gravity.Usage.UsageIdempotencyConflictException"/> becomes 409; a
    /// <see cref="Gravity.Usage.UsageCommitOutcomeUnknownException"/> becomes 503. Any other exception, the host's own
    /// <see cref="ArgumentException"/>s included, is left to the host. Needs <c>app.UseExceptionHandler()</c> in the pipeline.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddUsageProblemDetails(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddProblemDetails();
        services.AddExceptionHandler<UsageExceptionHandler>();
        return services;
    }
}
