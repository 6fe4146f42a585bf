namespace Gravity.Usage.Tests.Validation;

/// <summary>
/// The checks a third-party store applies with <see cref="UsageInput"/> to what reaches it from any caller: the same
/// rules the built-in stores apply, each answering the error to throw with the argument's name.
/// </summary>
public sealed class UsageInputStoreChecksTests
{
    private static readonly DateTimeOffset s_bucket = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Test]
    public void CheckIncrements_WellFormedBatch_ReturnsNull()
    {
        var batch = new[] { new UsageIncrement("acct", "api_calls", s_bucket, 3, "key-1", s_bucket) };

        Assert.That(UsageInput.CheckIncrements(batch), Is.Null);
    }

    [Test]
    public void CheckIncrements_AccountWithNul_NamesIncrementsAndTheIndex()
    {
        var batch = new[]
        {
            new UsageIncrement("acct", "api_calls", s_bucket, 3, null, s_bucket),
            new UsageIncrement("acct\0", "api_calls", s_bucket, 3, null, s_bucket),
        };

        var error = UsageInput.CheckIncrements(batch);

        Assert.That(error, Has.Property(nameof(ArgumentException.ParamName)).EqualTo("increments").And.Message.Contains("Increment 1"));
    }

    [Test]
    public void CheckIncrements_Null_NamesIncrements()
    {
        Assert.That(UsageInput.CheckIncrements(null), Has.Property(nameof(ArgumentException.ParamName)).EqualTo("increments"));
    }

    [Test]
    public void CheckAccountMapping_CustomerIdTooLong_NamesAccount()
    {
        var mapping = new UsageAccount("acct") { StripeCustomerId = new string('c', 256) };

        Assert.That(UsageInput.CheckAccountMapping(mapping), Has.Property(nameof(ArgumentException.ParamName)).EqualTo("account").And.Message.Contains("Stripe customer id"));
    }

    [Test]
    public void CheckAccountMapping_WellFormedMapping_ReturnsNull()
    {
        var mapping = new UsageAccount("acct") { StripeCustomerId = "cus_1", SubscriptionItems = new Dictionary<string, string> { ["api_calls"] = "si_1" } };

        Assert.That(UsageInput.CheckAccountMapping(mapping), Is.Null);
    }

    [Test]
    public void CheckReportIdentifier_DerivedIdentifier_ReturnsNull()
    {
        var identifier = ReportIdentifier.Resend(ReportIdentifier.Create("ledger", "acct", "api_calls", 0, 0, 1));

        Assert.That(UsageInput.CheckReportIdentifier(identifier, "newIdentifier"), Is.Null);
    }

    [Test]
    public void CheckReportIdentifier_Over100Characters_NamesTheGivenParameter()
    {
        Assert.That(UsageInput.CheckReportIdentifier(new string('i', 101), "newIdentifier"), Has.Property(nameof(ArgumentException.ParamName)).EqualTo("newIdentifier"));
    }
}
