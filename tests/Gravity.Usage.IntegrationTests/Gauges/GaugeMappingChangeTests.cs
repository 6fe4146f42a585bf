using Gravity.Usage.IntegrationTests.Contract;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Gauges;

/// <summary>
/// A mapping change through the built-in store (IUsageAccountStore.SaveAccountAsync) closes gauges under the old mapping,
/// as it closes sums: a reading recorded under the old customer or plan is billed under it.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class GaugeMappingChangeTests<TFixture> : GaugeTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task CustomerChange_BeforeTheRun_GaugeValueOfTheOldCustomerStaysWithTheOldCustomer()
    {
        var provider = BuildProvider();
        var oldCustomer = await MapAsync(provider, "acct");
        var month = MonthOf(Day0);
        await SetAsync(provider, "acct", Seats, 10, Day0.AddHours(1));
        Assert.That(await provider.GetRequiredService<IUsageMeter>().IncrementAsync("acct", 7, ApiCalls, timestamp: Day0.AddHours(1)), Is.EqualTo(IncrementOutcome.Recorded));

        var newCustomer = await MapAsync(provider, "acct", customer: Stripe.AddCustomer());
        await ReportAtAsync(provider, Day0.AddHours(3));

        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal(ApiCalls, oldCustomer), Is.EqualTo(7), "sums recorded under the old mapping bill the old customer");
            Assert.That(StripeLast(SeatsEvent, oldCustomer, month.Start, month.End), Is.EqualTo(10), "so should the gauge reading recorded under it");
            Assert.That(StripeLast(SeatsEvent, newCustomer, month.Start, month.End), Is.Zero);
        });
    }

    [Test]
    public async Task PaidAccountTurnsFree_BeforeTheRun_GaugeValueOfThePaidTimeIsStillBilled()
    {
        var provider = BuildProvider();
        var customer = await MapAsync(provider, "acct");
        var month = MonthOf(Day0);
        await SetAsync(provider, "acct", Seats, 10, Day0.AddHours(1));
        Assert.That(await provider.GetRequiredService<IUsageMeter>().IncrementAsync("acct", 7, ApiCalls, timestamp: Day0.AddHours(1)), Is.EqualTo(IncrementOutcome.Recorded));

        await MapAsync(provider, "acct", billable: false, customer: customer);
        await ReportAtAsync(provider, Day0.AddHours(3));

        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal(ApiCalls, customer), Is.EqualTo(7), "sums of the paid time are billed");
            Assert.That(StripeLast(SeatsEvent, customer, month.Start, month.End), Is.EqualTo(10), "so should the gauge value of the paid time");
        });
    }
}
