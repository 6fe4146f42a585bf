using Microsoft.Extensions.Options;
using Moq;

namespace Gravity.Usage.Tests;

public sealed class UsageMeterValidationTests
{
    private Mock<IUsageStore> _store = null!;
    private UsageMeter _meter = null!;

    [SetUp]
    public void SetUp()
    {
        // Strict: any call that reaches the store fails the test, proving bad input stores nothing.
        _store = new Mock<IUsageStore>(MockBehavior.Strict);
        var options = new UsageBillingOptions { MaxIncrementQuantity = 1_000 };
        options.Meters["api_calls"] = new MeterOptions();
        _meter = new UsageMeter(_store.Object, Options.Create(options), TestClock.At(TestClock.Now));
    }

    [TearDown]
    public async Task TearDown() => await _meter.DisposeAsync();

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    public void IncrementAsync_MissingAccount_ThrowsNamingAccount(string? account)
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.IncrementAsync(account!));
        Assert.That(ex!.ParamName, Is.EqualTo("account"));
    }

    [Test]
    public void IncrementAsync_AccountOver200Characters_ThrowsNamingTheLimit()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.IncrementAsync(new string('a', 201)));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("account"));
            Assert.That(ex.Message, Does.Contain("1 to 200 characters"));
        });
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(1_001)]
    public void IncrementAsync_QuantityOutOfRange_ThrowsNamingQuantity(long quantity)
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.IncrementAsync("acct", quantity));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("quantity"));
            Assert.That(ex.Message, Does.Contain("at most 1000"));
        });
    }

    [Test]
    public void IncrementAsync_UndeclaredMeter_ThrowsNamingMeter()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.IncrementAsync("acct", 1, "tokens"));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("meter"));
            Assert.That(ex.Message, Does.Contain("not a declared meter"));
        });
    }

    [TestCase("")]
    [TestCase(" ")]
    public void IncrementAsync_BlankIdempotencyKey_ThrowsNamingKey(string key)
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.IncrementAsync("acct", idempotencyKey: key));
        Assert.That(ex!.ParamName, Is.EqualTo("idempotencyKey"));
    }

    [Test]
    public void IncrementAsync_IdempotencyKeyOver255Characters_Throws()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.IncrementAsync("acct", idempotencyKey: new string('k', 256)));
        Assert.That(ex!.ParamName, Is.EqualTo("idempotencyKey"));
    }

    [Test]
    public void IncrementAsync_TimestampMoreThanFiveMinutesAhead_ThrowsNamingTimestamp()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(
            () => _meter.IncrementAsync("acct", timestamp: TestClock.Now + TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(1)));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("timestamp"));
            Assert.That(ex.Message, Does.Contain("5 minutes ahead"));
        });
    }

    [Test]
    public void IncrementAsync_TimestampOlderThanBackdateLimit_ThrowsNamingTimestamp()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(
            () => _meter.IncrementAsync("acct", timestamp: TestClock.Now - TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1)));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.ParamName, Is.EqualTo("timestamp"));
            Assert.That(ex.Message, Does.Contain("MaxBackdate"));
        });
    }

    [Test]
    public void GetAsync_EndBeforeStart_ThrowsNamingTo()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.GetAsync("acct", TestClock.Now, TestClock.Now.AddDays(-1)));
        Assert.That(ex!.ParamName, Is.EqualTo("periodEnd"));
    }

    [Test]
    public void GetAsync_UndeclaredMeter_ThrowsNamingMeter()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.GetAsync("acct", TestClock.Now.AddDays(-1), TestClock.Now, "tokens"));
        Assert.That(ex!.ParamName, Is.EqualTo("meter"));
    }

    [Test]
    public void GetSeriesAsync_MissingAccount_ThrowsNamingAccount()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => _meter.GetSeriesAsync(" ", TestClock.Now.AddDays(-1), TestClock.Now));
        Assert.That(ex!.ParamName, Is.EqualTo("account"));
    }
}
