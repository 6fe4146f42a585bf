using Gravity.Usage.Stripe;
using Moq;

namespace Gravity.Usage.Tests.Stripe;

public sealed class StripeOptionsValidatorTests
{
    private const string Key = "sk_test_51ValidatorSecretKey0123456789";

    private readonly StripeOptionsValidator _validator = new();

    [Test]
    public void Defaults_WithAKey_Succeed()
    {
        Assert.That(_validator.Validate(null, new StripeOptions { ApiKey = Key }).Succeeded, Is.True);
    }

    [TestCase("sk_live_abc123")]
    [TestCase("rk_test_abc123")]
    public void Validate_SecretAndRestrictedKeys_AreAccepted(string key)
    {
        Assert.That(_validator.Validate(null, new StripeOptions { ApiKey = key }).Succeeded, Is.True);
    }

    [Test]
    public void Validate_EverythingWrong_ListsEveryFailure()
    {
        var options = new StripeOptions
        {
            ApiKey = null,
            ApiBase = new Uri("ftp://stripe.test"),
            LegacyApiVersion = "2025-03-31.basil",
            Api = (StripeUsageApi)7,
            MaxNetworkRetries = 11,
            RequestTimeout = TimeSpan.Zero,
            MaxRequestsPerSecond = 0,
            MaxStreamEventsPerSecond = double.NaN,
        };

        var failures = _validator.Validate(null, options).Failures!.ToList();

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Count.EqualTo(8));
            foreach (var name in new[] { "ApiKey", "ApiBase", "LegacyApiVersion", "Api ", "MaxNetworkRetries", "RequestTimeout", "MaxRequestsPerSecond", "MaxStreamEventsPerSecond" })
            {
                Assert.That(failures, Has.One.StartsWith(name), name);
            }
        });
    }

    [TestCase("pk_live_PublishableSecretish123")]
    [TestCase("mysecretvalue_123")]
    [TestCase("sk_test_with space_123")]
    [TestCase("sk_test_ünicode_123")]
    [TestCase(" sk_test_padded_123")]
    public void Validate_BadKey_IsRefusedWithoutQuotingIt(string key)
    {
        var options = new StripeOptions { ApiKey = key, LegacyApiVersion = key };

        var failures = _validator.Validate(null, options).Failures!.ToList();

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.One.StartsWith("ApiKey"));
            Assert.That(string.Join("\n", failures), Does.Not.Contain(key.Trim()));
        });
    }

    [TestCase("")]
    [TestCase("   ")]
    public void Validate_MissingKey_IsRefusedAsRequired(string key)
    {
        var failures = _validator.Validate(null, new StripeOptions { ApiKey = key }).Failures;

        Assert.That(failures, Has.One.Contains("ApiKey is required"));
    }

    [Test]
    public void Validate_KeyPastedIntoTheLegacyVersion_IsNotQuoted()
    {
        var options = new StripeOptions { ApiKey = Key, LegacyApiVersion = Key };

        var failures = _validator.Validate(null, options).Failures!;

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.One.StartsWith("LegacyApiVersion"));
            Assert.That(string.Join("\n", failures), Does.Not.Contain(Key));
            Assert.That(options.ToString(), Does.Not.Contain(Key));
        });
    }

    [TestCase("https://api.stripe.com/sk_live_PastedIntoThePath123")]
    [TestCase("https://sk_test_PastedAsAUser123@api.stripe.com")]
    [TestCase("https://api.stripe.com/v1?key=rk_live_PastedIntoTheQuery123")]
    public void Validate_KeyPastedIntoTheApiBase_IsRefusedAndNeverShown(string address)
    {
        var options = new StripeOptions { ApiKey = Key, ApiBase = new Uri(address) };
        var pasted = address[(address.IndexOf('_', StringComparison.Ordinal) - 2)..].Split('@')[0];

        var failures = _validator.Validate(null, options).Failures!;

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.One.StartsWith("ApiBase").And.Contains("looks like a Stripe key"));
            Assert.That(string.Join("\n", failures), Does.Not.Contain(pasted));
            Assert.That(options.ToString(), Does.Not.Contain(pasted));
        });
    }

    [Test]
    public void HostClient_ReplacesTheKey_ButTheStreamAndUsageRecordsNeedAStripeClient()
    {
        var hostClient = new Mock<global::Stripe.IStripeClient>().Object;

        Assert.Multiple(() =>
        {
            Assert.That(_validator.Validate(null, new StripeOptions { Client = hostClient }).Succeeded, Is.True, "no key needed with the host's client");
            Assert.That(_validator.Validate(null, new StripeOptions { Client = hostClient, Api = StripeUsageApi.MeterEventStream }).Failures, Has.One.Contains("needs a Stripe.StripeClient"));
            Assert.That(_validator.Validate(null, new StripeOptions { Client = hostClient, Api = StripeUsageApi.LegacyUsageRecords }).Failures, Has.One.Contains("needs a Stripe.StripeClient"));
            Assert.That(_validator.Validate(null, new StripeOptions { Client = new global::Stripe.StripeClient("sk_test_x"), Api = StripeUsageApi.MeterEventStream }).Succeeded, Is.True);
        });
    }

    [TestCase("2025-02-24.acacia", true)]
    [TestCase("2024-06-20", true)]
    [TestCase("2023-08-16", true)]
    [TestCase("2025-02-25.acacia", false)]
    [TestCase("2025-03-31.basil", false)]
    [TestCase("2026-10-28.endive", false)]
    public void Validate_LegacyApiVersion_AcceptedOnlyBeforeUsageRecordsWereRemoved(string version, bool valid)
    {
        var options = new StripeOptions { ApiKey = Key, LegacyApiVersion = version };

        var result = _validator.Validate(null, options);

        Assert.That(result.Succeeded, Is.EqualTo(valid));
        if (!valid)
        {
            Assert.That(result.Failures, Has.One.Contains("no newer than 2025-02-24"));
        }
    }

    [TestCase("http://127.0.0.1:8421", true)]
    [TestCase("https://api.stripe.com/", true)]
    [TestCase("ftp://stripe.test", false)]
    [TestCase("https://user:pass@api.stripe.com", false)]
    [TestCase("https://api.stripe.com/?x=1", false)]
    public void Validate_ApiBase_AcceptedOnlyAsAPlainHttpAddress(string address, bool valid)
    {
        var options = new StripeOptions { ApiKey = Key, ApiBase = new Uri(address) };

        Assert.That(_validator.Validate(null, options).Succeeded, Is.EqualTo(valid));
    }

    [Test]
    public void ApiBase_Relative_IsRefused()
    {
        var options = new StripeOptions { ApiKey = Key, ApiBase = new Uri("/v1", UriKind.Relative) };

        Assert.That(_validator.Validate(null, options).Failures, Has.One.StartsWith("ApiBase"));
    }

    [TestCase(-1, false)]
    [TestCase(0, true)]
    [TestCase(10, true)]
    [TestCase(11, false)]
    public void Validate_MaxNetworkRetries_AcceptedOnlyInRange(int retries, bool valid)
    {
        Assert.That(_validator.Validate(null, new StripeOptions { ApiKey = Key, MaxNetworkRetries = retries }).Succeeded, Is.EqualTo(valid));
    }

    [TestCase(0.0, false)]
    [TestCase(-1.0, false)]
    [TestCase(double.NaN, false)]
    [TestCase(double.PositiveInfinity, false)]
    [TestCase(0.5, true)]
    [TestCase(1000.0, true)]
    public void Validate_MaxRequestsPerSecond_AcceptedOnlyInRange(double rate, bool valid)
    {
        Assert.That(_validator.Validate(null, new StripeOptions { ApiKey = Key, MaxRequestsPerSecond = rate }).Succeeded, Is.EqualTo(valid));
    }

    [TestCase(0, false)]
    [TestCase(-1, false)]
    [TestCase(1, true)]
    [TestCase(3600, true)]
    [TestCase(3601, false)]
    public void Validate_RequestTimeout_AcceptedOnlyInRange(int seconds, bool valid)
    {
        Assert.That(_validator.Validate(null, new StripeOptions { ApiKey = Key, RequestTimeout = TimeSpan.FromSeconds(seconds) }).Succeeded, Is.EqualTo(valid));
    }

    [Test]
    public void ToString_WithAKey_NeverShowsTheKey()
    {
        var text = new StripeOptions { ApiKey = Key }.ToString();

        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Not.Contain(Key));
            Assert.That(text, Does.Contain("ApiKey = (set)"));
        });
    }

    [Test]
    public void ToString_BaseAddressWithUserInformation_NeverShowsIt()
    {
        var text = new StripeOptions { ApiKey = Key, ApiBase = new Uri("https://sk_test_inurl:pw@stripe.test/base") }.ToString();

        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Not.Contain("sk_test_inurl"));
            Assert.That(text, Does.Contain("ApiBase = https://stripe.test/base"));
        });
    }
}
