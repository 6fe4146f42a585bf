using Gravity.Usage.Sqlite;
using Gravity.Usage.Stripe;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Tests.DependencyInjection;

/// <summary>The options bind from configuration (appsettings.json's "Usage" section), validated as in code.</summary>
public sealed class ConfigurationBindingTests
{
    [Test]
    public void AddUsageBilling_FromAConfigurationSection_BindsEveryOptionsClass()
    {
        var configuration = Configuration(new()
        {
            ["Usage:BucketSize"] = "00:15:00",
            ["Usage:MaxIncrementQuantity"] = "5000",
            ["Usage:Meters:api_calls:StripeEventName"] = "gravity_api_calls",
            ["Usage:Meters:tokens:StripeEventName"] = "gravity_tokens",
            ["Usage:Meters:seats:Kind"] = "Last",
            ["Usage:Meters:peak:Kind"] = "Max",
            ["Usage:Sqlite:ConnectionString"] = "Data Source=bound.db",
            ["Usage:Sqlite:TablePrefix"] = "gu_",
            ["Usage:Reporting:MaxConcurrency"] = "4",
            ["Usage:Stripe:ApiKey"] = "sk_test_FromConfiguration",
            ["Usage:Stripe:Api"] = "MeterEventStream",
            ["Usage:Stripe:ApiBase"] = "http://127.0.0.1:12111",
        });
        using var provider = new ServiceCollection().AddUsageBilling(configuration.GetSection("Usage")).BuildServiceProvider();

        var billing = provider.GetRequiredService<IOptions<UsageBillingOptions>>().Value;
        var sqlite = provider.GetRequiredService<IOptions<SqliteUsageStoreOptions>>().Value;
        var reporting = provider.GetRequiredService<IOptions<UsageReportingOptions>>().Value;
        var stripe = provider.GetRequiredService<IOptions<StripeOptions>>().Value;
        Assert.Multiple(() =>
        {
            Assert.That(billing.BucketSize, Is.EqualTo(TimeSpan.FromMinutes(15)));
            Assert.That(billing.MaxIncrementQuantity, Is.EqualTo(5000));
            Assert.That(billing.Meters.ToDictionary(m => m.Key, m => m.Value.StripeEventName), Is.EquivalentTo(new Dictionary<string, string?> { ["api_calls"] = "gravity_api_calls", ["tokens"] = "gravity_tokens", ["seats"] = null, ["peak"] = null }));
            Assert.That(billing.Meters.ToDictionary(m => m.Key, m => m.Value.Kind), Is.EquivalentTo(new Dictionary<string, MeterKind> { ["api_calls"] = MeterKind.Sum, ["tokens"] = MeterKind.Sum, ["seats"] = MeterKind.Last, ["peak"] = MeterKind.Max }), "kinds bind from their names");
            Assert.That((sqlite.ConnectionString, sqlite.TablePrefix), Is.EqualTo(("Data Source=bound.db", "gu_")));
            Assert.That(reporting.MaxConcurrency, Is.EqualTo(4));
            Assert.That((stripe.ApiKey, stripe.Api, stripe.ApiBase), Is.EqualTo(("sk_test_FromConfiguration", StripeUsageApi.MeterEventStream, new Uri("http://127.0.0.1:12111"))));
            Assert.That(provider.GetRequiredService<IUsageSink>(), Is.InstanceOf<StripeMeterEventStreamSink>());
        });
    }

    [Test]
    public void AddUsageBilling_BadValuesInConfiguration_AreRefusedAtStartListingEachWithoutTheKey()
    {
        var configuration = Configuration(new()
        {
            ["Usage:MaxIncrementQuantity"] = "0",
            ["Usage:Stripe:ApiKey"] = "pk_live_PublishableNotSecret123",
        });
        using var provider = new ServiceCollection().AddUsageBilling(configuration.GetSection("Usage")).BuildServiceProvider();

        var billing = Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<UsageBillingOptions>>().Value);
        var stripe = Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<StripeOptions>>().Value);

        Assert.Multiple(() =>
        {
            Assert.That(billing!.Failures, Has.Some.Contains("MaxIncrementQuantity"));
            Assert.That(stripe!.Failures, Has.Some.Contains("publishable key"));
            Assert.That(stripe.Message, Does.Not.Contain("pk_live_PublishableNotSecret123"));
        });
    }

    [Test]
    public void AddUsageBilling_CodeAfterConfiguration_Wins()
    {
        var configuration = Configuration(new() { ["Usage:MaxIncrementQuantity"] = "5000" });
        using var provider = new ServiceCollection()
            .AddUsageBilling(configuration.GetSection("Usage"), u => u.Configure(o => o.MaxIncrementQuantity = 7))
            .BuildServiceProvider();

        Assert.That(provider.GetRequiredService<IOptions<UsageBillingOptions>>().Value.MaxIncrementQuantity, Is.EqualTo(7));
    }

    private static IConfigurationRoot Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
