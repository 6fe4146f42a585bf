using Gravity.Usage.Internal;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Tests.Reconciliation;

public sealed class UsageReconciliationOptionsTests
{
    [Test]
    public void Validate_Defaults_Succeeds() =>
        Assert.That(new UsageReconciliationOptionsValidator().Validate(null, new UsageReconciliationOptions()).Succeeded, Is.True);

    [TestCase(0)]
    [TestCase(59)]
    [TestCase(7 * 24 * 3600 + 1)]
    public void Validate_SettleTimeOutOfRange_FailsNamingIt(int seconds)
    {
        var result = new UsageReconciliationOptionsValidator().Validate(null, new UsageReconciliationOptions { SettleTime = TimeSpan.FromSeconds(seconds) });

        Assert.That(result.Failures, Has.One.Contains("SettleTime"));
    }

    [TestCase(0)]
    [TestCase(17)]
    public void Validate_MaxUnknownReportsPerHourOutOfRange_FailsNamingIt(int count)
    {
        var result = new UsageReconciliationOptionsValidator().Validate(null, new UsageReconciliationOptions { MaxUnknownReportsPerHour = count });

        Assert.That(result.Failures, Has.One.Contains("MaxUnknownReportsPerHour"));
    }

    [Test]
    public void ThrowIfInvalid_TwoRulesBroken_ListsEveryFailure()
    {
        var error = Assert.Throws<OptionsValidationException>(() => UsageReconciliationOptionsValidator.ThrowIfInvalid(new UsageReconciliationOptions { SettleTime = TimeSpan.Zero, MaxUnknownReportsPerHour = 0 }));

        Assert.That(error!.Failures.Count(), Is.EqualTo(2));
    }
}
