using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace Gravity.Usage.Tests.Periods;

public sealed class BillingCycleCacheTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 10, 10, 0, 0, TimeSpan.Zero);
    private static readonly BillingCycle Monthly = BillingCycle.Monthly(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
    private static readonly TimeSpan Refresh = TimeSpan.FromMinutes(5);

    [Test]
    public async Task GetAsync_RepeatedWithinTheRefreshInterval_LoadsOnceThenServesTheCache()
    {
        var resolver = Resolver(Monthly);
        var cache = new BillingCycleCache(resolver.Object, Refresh, NullLogger.Instance);

        var first = await cache.GetAsync("acct", Now, CancellationToken.None);
        var hit = cache.TryGet("acct", Now + Refresh - TimeSpan.FromSeconds(1), out var cached);
        var stale = cache.TryGet("acct", Now + Refresh, out _);
        await cache.GetAsync("acct", Now + Refresh, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That((first?.Cycle, hit, cached?.Cycle, stale), Is.EqualTo((Monthly, true, Monthly, false)));
            resolver.Verify(r => r.ResolveAsync("acct", It.IsAny<CancellationToken>()), Times.Exactly(2));
        });
    }

    [Test]
    public async Task GetAsync_ConcurrentCallersOfAnAccountNotLoaded_ShareOneLoad()
    {
        var load = new TaskCompletionSource<UsageAccount?>();
        var resolver = new Mock<IUsageAccountResolver>();
        resolver.Setup(r => r.ResolveAsync("acct", It.IsAny<CancellationToken>())).Returns(load.Task);
        var cache = new BillingCycleCache(resolver.Object, Refresh, NullLogger.Instance);

        var waiting = Enumerable.Range(0, 10).Select(_ => cache.GetAsync("acct", Now, CancellationToken.None)).ToList();
        load.SetResult(new UsageAccount("acct") { BillingCycle = Monthly });
        var cycles = await Task.WhenAll(waiting);

        Assert.Multiple(() =>
        {
            Assert.That(cycles.Select(c => c?.Cycle), Is.All.EqualTo(Monthly));
            resolver.Verify(r => r.ResolveAsync("acct", It.IsAny<CancellationToken>()), Times.Once());
        });
    }

    [Test]
    public async Task Invalidate_AfterALoad_MakesTheNextCallLoadAgain()
    {
        var resolver = Resolver(Monthly);
        var cache = new BillingCycleCache(resolver.Object, Refresh, NullLogger.Instance);
        await cache.GetAsync("acct", Now, CancellationToken.None);

        cache.Invalidate("acct");

        Assert.Multiple(async () =>
        {
            Assert.That(cache.TryGet("acct", Now, out _), Is.False);
            Assert.That((await cache.GetAsync("acct", Now, CancellationToken.None))?.Cycle, Is.EqualTo(Monthly));
            resolver.Verify(r => r.ResolveAsync("acct", It.IsAny<CancellationToken>()), Times.Exactly(2));
        });
    }

    [Test]
    public async Task GetAsync_RefreshFails_KeepsTheCycleKnownBeforeAndRetriesSoon()
    {
        var resolver = Resolver(Monthly);
        var cache = new BillingCycleCache(resolver.Object, Refresh, NullLogger.Instance);
        await cache.GetAsync("acct", Now, CancellationToken.None);
        resolver.Setup(r => r.ResolveAsync("acct", It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("down"));

        var kept = await cache.GetAsync("acct", Now + Refresh, CancellationToken.None);
        var heldForTheRetryDelay = cache.TryGet("acct", Now + Refresh + BillingCycleCache.RetryAfterFailure - TimeSpan.FromTicks(1), out _);
        var retriedAfterIt = cache.TryGet("acct", Now + Refresh + BillingCycleCache.RetryAfterFailure, out _);

        Assert.That((kept?.Cycle, heldForTheRetryDelay, retriedAfterIt), Is.EqualTo((Monthly, true, false)));
    }

    [Test]
    public async Task GetAsync_FirstLoadFails_GivesNoCycleAndNeverThrows()
    {
        var resolver = new Mock<IUsageAccountResolver>();
        resolver.Setup(r => r.ResolveAsync("acct", It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("down"));
        var cache = new BillingCycleCache(resolver.Object, Refresh, NullLogger.Instance);

        Assert.That(await cache.GetAsync("acct", Now, CancellationToken.None), Is.Null);
    }

    [Test]
    public void TryGet_WithoutAResolver_IsAlwaysAHitWithNoCycle()
    {
        var cache = new BillingCycleCache(resolver: null, Refresh, NullLogger.Instance);

        Assert.That((cache.TryGet("acct", Now, out var cycle), cycle), Is.EqualTo((true, (AccountCycle?)null)));
    }

    private static Mock<IUsageAccountResolver> Resolver(BillingCycle cycle)
    {
        var resolver = new Mock<IUsageAccountResolver>();
        resolver.Setup(r => r.ResolveAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string account, CancellationToken _) => new UsageAccount(account) { BillingCycle = cycle });
        return resolver;
    }
}
