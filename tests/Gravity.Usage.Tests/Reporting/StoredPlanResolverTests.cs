using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Gravity.Usage.Tests.Reporting;

/// <summary>
/// The reporter leaves the plan to the store because the resolver says it reads that store's own accounts
/// (<see cref="IStoredPlanAccountResolver"/>), never because of the resolver's or the store's type: a third party's
/// resolver gets the same treatment as the built-in <see cref="StoreAccountResolver"/>.
/// </summary>
public sealed class StoredPlanResolverTests
{
    private static readonly DateTimeOffset s_bucket = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task ReportAccountAsync_ResolverOfTheStoresOwnAccounts_LeavesThePlanToTheStore()
    {
        var store = new Mock<IUsageReportStore>();
        var closings = Capture(store);
        var resolver = new HostResolver(store.As<IUsageAccountStore>().Object, new UsageAccount("acct") { Billable = false });
        var reporter = Reporter(store.Object, resolver);

        await reporter.ReportAccountAsync("acct");

        Assert.That(closings.Single(), Has.Property(nameof(ReportClosing.ApplyStoredPlan)).True.And.Property(nameof(ReportClosing.SkipReason)).Null);
    }

    [Test]
    public async Task ReportAccountAsync_ResolverOfTheHostsOwnAccounts_DecidesThePlanItself()
    {
        var store = new Mock<IUsageReportStore>();
        var closings = Capture(store);
        var resolver = Mock.Of<IUsageAccountResolver>(r => r.ResolveAsync("acct", It.IsAny<CancellationToken>()) == Task.FromResult<UsageAccount?>(new UsageAccount("acct") { Billable = false }));
        var reporter = Reporter(store.Object, resolver);

        await reporter.ReportAccountAsync("acct");

        Assert.That(closings.Single(), Has.Property(nameof(ReportClosing.ApplyStoredPlan)).False.And.Property(nameof(ReportClosing.SkipReason)).EqualTo(BillingPlan.NotBillable));
    }

    private static List<ReportClosing> Capture(Mock<IUsageReportStore> store)
    {
        var closings = new List<ReportClosing>();
        store.Setup(s => s.GetUnreportedAsync(It.IsAny<DateTimeOffset>(), "acct", It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync([new UnreportedUsage("acct", UsageBillingOptions.DefaultMeterName, s_bucket)]);
        store.Setup(s => s.CloseAsync(It.IsAny<IReadOnlyList<ReportClosing>>(), It.IsAny<DateTimeOffset>(), It.IsAny<CancellationToken>()))
            .Callback((IReadOnlyList<ReportClosing> c, DateTimeOffset _, CancellationToken _) => closings.AddRange(c))
            .ReturnsAsync([]);
        store.Setup(s => s.ClaimDueAsync(It.IsAny<ReportClaim>(), It.IsAny<CancellationToken>())).ReturnsAsync([]);
        return closings;
    }

    private static UsageReporter Reporter(IUsageReportStore store, IUsageAccountResolver resolver) =>
        new(store, Mock.Of<IUsageSink>(), resolver, Options.Create(new UsageBillingOptions()), Options.Create(new UsageReportingOptions()), new FakeTimeProvider(s_bucket.AddHours(2)));

    /// <summary>A host's own resolver over an account store, as a third-party provider would write one.</summary>
    private sealed class HostResolver(IUsageAccountStore accounts, UsageAccount answer) : IStoredPlanAccountResolver
    {
        public IUsageAccountStore AccountStore => accounts;

        public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default) => Task.FromResult<UsageAccount?>(answer);
    }
}
