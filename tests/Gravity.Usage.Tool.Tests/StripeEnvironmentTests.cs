using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Tool.Tests;

/// <summary>The Stripe client of the commands that need one comes from the environment, and the key is never printed.</summary>
public sealed class StripeEnvironmentTests
{
    private const string Key = "sk_test_never_print_this_0042";

    [Test]
    public void Client_KeyAndApiBaseInTheEnvironment_AreUsed()
    {
        var client = StripeEnvironment.CreateClient(Environment(new() { ["STRIPE_API_KEY"] = Key, ["STRIPE_API_BASE"] = "http://127.0.0.1:4242/" }));

        Assert.Multiple(() =>
        {
            Assert.That(client.ApiKey, Is.EqualTo(Key));
            Assert.That(client.ApiBase, Is.EqualTo("http://127.0.0.1:4242"));
        });
    }

    [Test]
    public void Client_MissingKey_IsAUsageErrorNamingTheVariable()
    {
        var ex = Assert.Throws<ToolException>(() => StripeEnvironment.CreateClient(Environment(new())));

        Assert.Multiple(() =>
        {
            Assert.That(ex!.ExitCode, Is.EqualTo(1));
            Assert.That(ex.Message, Does.Contain("STRIPE_API_KEY"));
        });
    }

    [TestCase("pk_test_publishable_0042")]
    [TestCase("whsec_webhook_secret_0042")]
    public void KeyOfAnotherKind_IsRefused_WithoutBeingPrinted(string key)
    {
        var ex = Assert.Throws<ToolException>(() => StripeEnvironment.CreateClient(Environment(new() { ["STRIPE_API_KEY"] = key })));

        Assert.That(ex!.Message, Does.Not.Contain(key));
    }

    [Test]
    public void Client_BadApiBase_IsRefused()
    {
        var ex = Assert.Throws<ToolException>(() => StripeEnvironment.CreateClient(Environment(new() { ["STRIPE_API_KEY"] = Key, ["STRIPE_API_BASE"] = "not a url" })));

        Assert.That(ex!.Message, Does.Contain("STRIPE_API_BASE").And.Not.Contain(Key));
    }

    private static ToolEnvironment Environment(Dictionary<string, string> variables) =>
        new(TextWriter.Null, TextWriter.Null, name => variables.TryGetValue(name, out var value) ? value : null, new FakeTimeProvider());
}
