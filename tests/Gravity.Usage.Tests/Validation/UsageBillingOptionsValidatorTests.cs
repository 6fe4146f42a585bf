using Gravity.Usage.Internal;

namespace Gravity.Usage.Tests.Validation;

public sealed class UsageBillingOptionsValidatorTests
{
    private readonly UsageBillingOptionsValidator _validator = new();

    [Test]
    public void Validate_Defaults_Succeeds()
    {
        Assert.That(_validator.Validate(null, new UsageBillingOptions()).Succeeded, Is.True);
    }

    [TestCase(1)]
    [TestCase(15)]
    [TestCase(60)]
    [TestCase(1440)]
    public void Validate_BucketThatDividesADay_Succeeds(int minutes)
    {
        var options = new UsageBillingOptions { BucketSize = TimeSpan.FromMinutes(minutes) };
        Assert.That(_validator.Validate(null, options).Succeeded, Is.True);
    }

    [TestCase(7 * 60)]
    [TestCase(30)]
    [TestCase(61.5)]
    [TestCase(2 * 86400)]
    public void Validate_BadBucket_FailsNamingBucketSize(double seconds)
    {
        var options = new UsageBillingOptions { BucketSize = TimeSpan.FromSeconds(seconds) };
        var result = _validator.Validate(null, options);
        Assert.That(result.Failures, Has.One.Contains("BucketSize"));
    }

    [Test]
    public void IdempotencyKeyRetention_Default_Is48Hours()
    {
        Assert.That(new UsageBillingOptions().IdempotencyKeyRetention, Is.EqualTo(TimeSpan.FromHours(48)));
    }

    [TestCase(59)]
    [TestCase(35 * 24 * 60 + 1)]
    public void Validate_KeyRetentionOutOfBounds_FailsNamingTheBounds(int minutes)
    {
        var options = new UsageBillingOptions { IdempotencyKeyRetention = TimeSpan.FromMinutes(minutes) };

        var failures = _validator.Validate(null, options).Failures;

        Assert.That(failures, Has.One.Contains("IdempotencyKeyRetention").And.Contains("at least 1 hour and at most 35 days"));
    }

    [TestCase(60)]
    [TestCase(35 * 24 * 60)]
    public void Validate_KeyRetentionAtABound_Succeeds(int minutes)
    {
        var options = new UsageBillingOptions { IdempotencyKeyRetention = TimeSpan.FromMinutes(minutes) };

        Assert.That(_validator.Validate(null, options).Succeeded, Is.True);
    }

    [Test]
    public void Validate_EverythingWrong_ListsEveryFailure()
    {
        var options = new UsageBillingOptions
        {
            BucketSize = TimeSpan.FromMinutes(7),
            MaxIncrementQuantity = 0,
            MaxBackdate = TimeSpan.FromDays(36),
            IdempotencyKeyRetention = TimeSpan.FromMinutes(5),
            MaxBatchSize = 0,
            QueueCapacity = -1,
            DefaultMeter = " ",
        };
        options.Meters["bad\nname"] = new MeterOptions();
        options.Meters["ok"] = new MeterOptions { StripeEventName = new string('e', 101) };

        var failures = _validator.Validate(null, options).Failures!.ToList();

        Assert.That(failures, Has.Count.EqualTo(9));
        foreach (var name in new[] { "BucketSize", "MaxIncrementQuantity", "MaxBackdate", "IdempotencyKeyRetention", "MaxBatchSize", "QueueCapacity", "DefaultMeter", "Meters", "StripeEventName" })
        {
            Assert.That(failures, Has.Some.Contains(name), name);
        }
    }

    [Test]
    public void Validate_GaugeSharingItsStripeEventNameWithASum_FailsNamingBoth()
    {
        var options = new UsageBillingOptions();
        options.Meters["api_calls"] = new MeterOptions { StripeEventName = "shared" };
        options.Meters["seats"] = new MeterOptions { Kind = MeterKind.Last, StripeEventName = "shared" };

        var result = _validator.Validate(null, options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.True);
            Assert.That(result.FailureMessage, Does.Contain("'api_calls' (Sum)").And.Contain("'seats' (Last)").And.Contain("'shared'"));
        });
    }

    [Test]
    public void Validate_GaugeNamedLikeTheDefaultMetersEvent_Fails()
    {
        var options = new UsageBillingOptions();
        options.Meters["peak"] = new MeterOptions { Kind = MeterKind.Max, StripeEventName = UsageBillingOptions.DefaultMeterName };

        Assert.That(_validator.Validate(null, options).FailureMessage, Does.Contain("'usage' (Sum)"));
    }

    [Test]
    public void Validate_SumsSharingAnEventName_AndGaugesWithTheirOwn_Succeed()
    {
        var options = new UsageBillingOptions();
        options.Meters["api_calls"] = new MeterOptions { StripeEventName = "calls" };
        options.Meters["batch_calls"] = new MeterOptions { StripeEventName = "calls" };
        options.Meters["seats"] = new MeterOptions { Kind = MeterKind.Last };
        options.Meters["plan"] = new MeterOptions { Kind = MeterKind.LastEver, StripeEventName = "plan_seats" };

        Assert.That(_validator.Validate(null, options).Succeeded, Is.True);
    }

    [Test]
    public void Validate_UndefinedKind_FailsNamingKind()
    {
        var options = new UsageBillingOptions();
        options.Meters["seats"] = new MeterOptions { Kind = (MeterKind)7 };

        Assert.That(_validator.Validate(null, options).FailureMessage, Does.Contain("Meters['seats'].Kind"));
    }
}
