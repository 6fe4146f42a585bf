using Microsoft.Extensions.Options;
using Moq;

namespace Gravity.Usage.Tests.Corrections;

public sealed class CorrectAsyncValidationTests
{
    [Test]
    public async Task CorrectAsync_StoreWithoutCorrections_ThrowsNotSupportedAndCallsNothing()
    {
        // Strict: a call that reached the store would fail the test.
        var store = new Mock<IUsageStore>(MockBehavior.Strict);
        var options = new UsageBillingOptions();
        options.Meters["api_calls"] = new MeterOptions();
        await using var meter = new UsageMeter(store.Object, Options.Create(options), TestClock.At(TestClock.Now));

        var ex = Assert.ThrowsAsync<NotSupportedException>(() => meter.CorrectAsync("acct", -1, "api_calls", TestClock.Now, "why", "key"));

        Assert.That(ex!.Message, Does.Contain("does not keep corrections"));
    }

    [Test]
    public async Task CorrectAsync_BadInputBeforeTheStore_ThrowsNamingTheArgument()
    {
        var store = new Mock<IUsageStore>(MockBehavior.Strict);
        var options = new UsageBillingOptions { MaxIncrementQuantity = 1_000 };
        options.Meters["api_calls"] = new MeterOptions();
        await using var meter = new UsageMeter(store.Object, Options.Create(options), TestClock.At(TestClock.Now));

        Assert.Multiple(() =>
        {
            Assert.That(Assert.ThrowsAsync<UsageInputException>(() => meter.CorrectAsync("acct", 1_001, "api_calls", TestClock.Now, "why", "key"))!.ParamName, Is.EqualTo("delta"));
            Assert.That(Assert.ThrowsAsync<UsageInputException>(() => meter.CorrectAsync("acct", -1_001, "api_calls", TestClock.Now, "why", "key"))!.ParamName, Is.EqualTo("delta"));
            Assert.That(Assert.ThrowsAsync<UsageInputException>(() => meter.CorrectAsync("acct", -1, null!, TestClock.Now, "why", "key"))!.ParamName, Is.EqualTo("meter"));
            Assert.That(Assert.ThrowsAsync<UsageInputException>(() => meter.CorrectAsync("acct", -1, "api_calls", TestClock.Now, null!, "key"))!.ParamName, Is.EqualTo("reason"));
            Assert.That(Assert.ThrowsAsync<UsageInputException>(() => meter.CorrectAsync("acct", -1, "api_calls", TestClock.Now, "line\nbreak", "key"))!.ParamName, Is.EqualTo("reason"));
            Assert.That(Assert.ThrowsAsync<UsageInputException>(() => meter.CorrectAsync("acct", -1, "api_calls", TestClock.Now, "why", null!))!.ParamName, Is.EqualTo("idempotencyKey"));
            Assert.That(Assert.ThrowsAsync<UsageInputException>(() => meter.ListCorrectionsAsync(new UsageCorrectionQuery { Limit = 0 }))!.ParamName, Is.EqualTo("query"));
        });
    }
}
