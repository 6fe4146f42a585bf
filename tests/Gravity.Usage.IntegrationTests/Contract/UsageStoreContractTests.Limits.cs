using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// Sums are exact or refused clearly (issue 8, F5): a counter holds at most MaxCounterQuantity (what Stripe takes in one
/// value), and a period total that a long cannot hold is refused with a typed error naming the limit.
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    private const long Cap = UsageBillingOptions.MaxCounterQuantity;

    [Test]
    public void UsageMeter_MaxIncrementQuantityAboveMaxCounterQuantity_IsRefused()
    {
        var options = new UsageBillingOptions { MaxIncrementQuantity = long.MaxValue };

        var ex = Assert.Throws<OptionsValidationException>(() => _ = new UsageMeter(Store.Ledger, Options.Create(options), Clock))!;

        Assert.That(ex.Failures, Has.Some.Contains("MaxIncrementQuantity must be at least 1 and at most 999999999999999"));
    }

    [Test]
    public async Task IncrementAsync_IncrementPastMaxCounterQuantity_IsRefusedNamingQuantityAndLimit_CounterUnchanged()
    {
        var meter = CreateMeter(Store.Ledger, o => o.MaxIncrementQuantity = Cap);
        await meter.IncrementAsync("acct", Cap - 10);

        var ex = Assert.ThrowsAsync<UsageInputException>(() => meter.IncrementAsync("acct", 11, idempotencyKey: "k"))!;
        var afterRefusal = await TotalAsync("acct");
        var retry = await meter.IncrementAsync("acct", 10, idempotencyKey: "k");

        Assert.Multiple(async () =>
        {
            Assert.That(ex.ParamName, Is.EqualTo("quantity"));
            Assert.That(ex.Message, Does.Contain("would exceed 999999999999999"));
            Assert.That(afterRefusal, Is.EqualTo(Cap - 10), "counter unchanged");
            Assert.That(retry, Is.EqualTo(IncrementOutcome.Recorded), "the refused increment did not keep its key");
            Assert.That(await TotalAsync("acct"), Is.EqualTo(Cap));
        });
    }

    [Test]
    public async Task GetAsync_TwoFullBucketsOfMaxIncrements_AreSummedExactly()
    {
        var meter = CreateMeter(Store.Ledger, o => o.MaxIncrementQuantity = Cap);
        await meter.IncrementAsync("acct", Cap, timestamp: Start);
        await meter.IncrementAsync("acct", Cap, timestamp: Start - Hour);

        var summary = await meter.GetAsync("acct", Start - Hour, Start + Hour);

        Assert.That(summary.GetMeter(Usage).Quantity, Is.EqualTo(2 * Cap));
    }

    [Test]
    public async Task GetTotalsAsync_BucketsTogetherPastLongMaxValue_AreRefusedWithOverflowNamingTheLimit_AndShorterPeriodsAreExact()
    {
        // 9,300 full buckets hold 9.3e18, past long.MaxValue (9.22e18); the first 9,000 hold 9.0e18, which fits.
        const int buckets = 9_300;
        var increments = Enumerable.Range(0, buckets).Select(i => Increment("acct", Cap, bucketStart: Start + (i * Hour))).ToList();
        foreach (var chunk in increments.Chunk(3_000))
        {
            Assert.That(await Store.Ledger.WriteAsync(chunk), Is.All.EqualTo(UsageWriteStatus.Recorded));
        }

        var ex = Assert.ThrowsAsync<OverflowException>(() => Store.Ledger.GetTotalsAsync("acct", Start, Start + (buckets * Hour), null))!;
        var fits = await Store.Ledger.GetTotalsAsync("acct", Start, Start + (9_000 * Hour), Usage);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain(long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(ex.Message, Does.Contain("9299999999999990700"), "the exact total is named");
            Assert.That(fits.Single().Quantity, Is.EqualTo(9_000 * Cap));
        });
    }

    private UsageMeter CreateMeter(IUsageStore store, Action<UsageBillingOptions> configure)
    {
        var options = new UsageBillingOptions();
        configure(options);
        var meter = new UsageMeter(store, Options.Create(options), Clock);
        _meters.Add(meter);
        return meter;
    }
}
