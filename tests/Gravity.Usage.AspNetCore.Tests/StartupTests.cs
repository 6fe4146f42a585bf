using Gravity.Usage.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary>The webhook's options and its way to find a customer's accounts are checked when the host starts.</summary>
public sealed class StartupTests : WebhookTest
{
    [Test]
    public void InvalidOptions_FailTheStart_ListingEveryProblem_WithoutTheSecret()
    {
        const string apiKey = "sk_live_do_not_print_me";
        var ex = Assert.ThrowsAsync<OptionsValidationException>(() => StartHostAsync(o =>
        {
            o.WebhookSecret = apiKey;
            o.SignatureTolerance = TimeSpan.Zero;
            o.QueueCapacity = 0;
            o.MaxPayloadBytes = 10;
        }));

        Assert.Multiple(() =>
        {
            Assert.That(ex!.Failures, Has.Some.Contains("whsec_"));
            Assert.That(ex.Failures, Has.Some.Contains("SignatureTolerance"));
            Assert.That(ex.Failures, Has.Some.Contains("QueueCapacity"));
            Assert.That(ex.Failures, Has.Some.Contains("MaxPayloadBytes"));
            Assert.That(ex.Message, Does.Not.Contain(apiKey));
        });
    }

    [Test]
    public async Task Options_BindFromConfiguration_AndCodeWins()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Webhook:WebhookSecret"] = Secret,
            ["Webhook:SignatureTolerance"] = "00:01:00",
            ["Webhook:QueueCapacity"] = "7",
        }).Build();
        var app = await StartHostAsync(
            webhook: o => o.WebhookSecret = null, // the base class's secret is taken away: the configuration must supply it
            configureServices: s => s.AddStripeUsageWebhook(configuration.GetSection("Webhook"), o => o.QueueCapacity = 9));

        var options = app.Services.GetRequiredService<IOptions<StripeUsageWebhookOptions>>().Value;

        Assert.Multiple(() =>
        {
            Assert.That(options.WebhookSecret, Is.EqualTo(Secret));
            Assert.That(options.SignatureTolerance, Is.EqualTo(TimeSpan.FromMinutes(1)));
            Assert.That(options.QueueCapacity, Is.EqualTo(9));
        });
    }

    [Test]
    public void AddStripeUsageWebhook_MissingSecret_FailsTheStart()
    {
        var ex = Assert.ThrowsAsync<OptionsValidationException>(() => StartHostAsync(o => o.WebhookSecret = null));

        Assert.That(ex!.Message, Does.Contain("WebhookSecret is required"));
    }

    [Test]
    public void HostResolvingAccountsItself_WithoutACustomerLookup_FailsTheStart()
    {
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => StartHostAsync(billing: u => u.UseAccountResolver(_ => new HostResolver())));

        Assert.That(ex!.Message, Does.Contain("register an IStripeCustomerAccounts"));
    }

    [Test]
    public async Task HostResolvingAccountsItself_WithItsOwnCustomerLookup_IsFlushed()
    {
        var customer = Stripe.AddCustomer("cus_host");
        var app = await StartHostAsync(
            billing: u => u.UseAccountResolver(_ => new HostResolver(customer)),
            configureServices: s => s.AddSingleton<IStripeCustomerAccounts>(new HostLookup(customer)));
        await IncrementAsync(app, "host_acct", 4);

        using var response = await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_host", customer));

        await Poll.UntilAsync(() => Task.FromResult(Stripe.GetMeterTotal(ApiCallsEvent, customer) == 4), () => "the host's account was not flushed");
    }

    [Test]
    public async Task MappingTheWebhook_WithoutRegisteringIt_Throws()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        await using var app = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.MapStripeUsageWebhook("/stripe/usage"));

        Assert.That(ex!.Message, Does.Contain("AddStripeUsageWebhook"));
    }

    private sealed class HostResolver(string? customer = null) : IUsageAccountResolver
    {
        public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default) =>
            Task.FromResult<UsageAccount?>(account == "host_acct" ? new UsageAccount(account) { StripeCustomerId = customer } : null);
    }

    private sealed class HostLookup(string customer) : IStripeCustomerAccounts
    {
        public Task<IReadOnlyList<string>> FindAccountsAsync(string stripeCustomerId, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<string>>(stripeCustomerId == customer ? ["host_acct"] : []);
    }
}
