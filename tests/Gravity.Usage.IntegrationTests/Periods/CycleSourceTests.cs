using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Stripe;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.Periods;

/// <summary>
/// Where the meter gets an account's cycle: stored and read back, read from a Stripe subscription, cached with a
/// refresh interval, dropped at once when this process saves the account, and picked up by other processes later.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class CycleSourceTests<TFixture> : BillingPeriodTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task SaveAccountAsync_CycleByAnchorOrByCurrentPeriod_RoundTripsAndCanBeRemoved()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10));
        var accounts = provider.GetRequiredService<IUsageAccountStore>();
        var weekly = new BillingCycle(Utc(2026, 6, 3, 8, 15, 30), BillingInterval.Week, 2);
        var quarterly = BillingCycle.FromCurrentPeriod(Utc(2026, 5, 31, 12), Utc(2026, 8, 31, 12));

        await accounts.SaveAccountAsync(new UsageAccount("weekly") { StripeCustomerId = "cus_1", BillingCycle = weekly });
        await accounts.SaveAccountAsync(new UsageAccount("quarterly") { BillingCycle = quarterly });
        await accounts.SaveAccountAsync(new UsageAccount("removed") { BillingCycle = weekly });
        await accounts.SaveAccountAsync(new UsageAccount("removed"));

        Assert.Multiple(async () =>
        {
            Assert.That((await accounts.GetAccountAsync("weekly"))!.BillingCycle, Is.EqualTo(weekly));
            Assert.That((await accounts.GetAccountAsync("quarterly"))!.BillingCycle, Is.EqualTo(new BillingCycle(Utc(2026, 5, 31, 12), BillingInterval.Month, 3)));
            Assert.That((await accounts.GetAccountAsync("removed"))!.BillingCycle, Is.Null);
        });
    }

    [Test]
    public async Task StripeBillingCycles_StandInSubscription_IsReadThroughStripeNetAndSaved()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10));
        var anchor = Utc(2026, 5, 31, 14, 37, 12);
        var subscription = Stripe.AddSubscription("cus_sub", anchor, "week", 2);
        var cycles = provider.GetRequiredService<StripeBillingCycles>();

        var read = await cycles.ReadAsync(subscription);
        var saved = await cycles.SaveFromSubscriptionAsync("acct", subscription);
        var stored = await provider.GetRequiredService<IUsageAccountStore>().GetAccountAsync("acct");

        Assert.Multiple(() =>
        {
            Assert.That(read, Is.EqualTo(new BillingCycle(anchor, BillingInterval.Week, 2)));
            Assert.That(saved, Is.EqualTo(stored).Using<UsageAccount>((a, b) => a.BillingCycle == b.BillingCycle && a.StripeCustomerId == b.StripeCustomerId));
            Assert.That((stored!.StripeCustomerId, stored.BillingCycle), Is.EqualTo(("cus_sub", read)));
            Assert.That(Stripe.Requests.Select(r => (r.Method, r.Path)), Is.EqualTo(new[] { ("GET", $"/v1/subscriptions/{subscription}"), ("GET", $"/v1/subscriptions/{subscription}") }));
        });
    }

    [Test]
    public async Task StripeBillingCycles_BadOrUnknownSubscription_IsRefusedAndNothingIsSaved()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10));
        var cycles = provider.GetRequiredService<StripeBillingCycles>();

        var empty = Assert.ThrowsAsync<UsageInputException>(() => cycles.ReadAsync(string.Empty));
        var control = Assert.ThrowsAsync<UsageInputException>(() => cycles.SaveFromSubscriptionAsync("acct", "sub_\u0001"));
        var requestsBefore = Stripe.RequestCount;
        var unknown = Assert.ThrowsAsync<global::Stripe.StripeException>(() => cycles.SaveFromSubscriptionAsync("acct", "sub_missing"));

        Assert.Multiple(async () =>
        {
            Assert.That(empty!.ParamName, Is.EqualTo("subscriptionId"));
            Assert.That(control!.ParamName, Is.EqualTo("subscriptionId"));
            Assert.That(requestsBefore, Is.Zero, "refused before anything was sent");
            Assert.That(unknown!.StripeError?.Code, Is.EqualTo("resource_missing"));
            Assert.That(await provider.GetRequiredService<IUsageAccountStore>().GetAccountAsync("acct"), Is.Null);
        });
    }

    [Test]
    public async Task IncrementAsync_CycleSavedInThisProcess_CutsTheVeryNextIncrement()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10, 5));
        await RecordAtAsync(provider, "acct", 1, Utc(2026, 6, 10, 10, 38));
        Clock.SetUtcNow(Utc(2026, 6, 10, 10, 39));
        await SaveAsync(provider, new UsageAccount("acct") { BillingCycle = BillingCycle.Monthly(Utc(2026, 6, 10, 10, 37, 12)) });
        await RecordAtAsync(provider, "acct", 2, Utc(2026, 6, 10, 10, 40));

        var series = await provider.GetRequiredService<IUsageMeter>().GetSeriesAsync("acct", Utc(2026, 6, 10), Utc(2026, 6, 11), ApiCalls);

        Assert.That(
            series.Select(b => (b.BucketStart, b.Quantity)),
            Is.EqualTo(new[] { (Utc(2026, 6, 10, 10), 1L), (Utc(2026, 6, 10, 10, 37, 12), 2L) }),
            "10:40 is within the refresh interval of the load at 10:38, yet cut: the save dropped the cached cycle");
    }

    [Test]
    public async Task IncrementAsync_CycleSavedByAnotherInstance_AppliesOnceTheRefreshIntervalHasPassed()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10, 5), options: o => o.BillingCycleRefreshInterval = TimeSpan.FromMinutes(2));
        await RecordAtAsync(provider, "acct", 1, Utc(2026, 6, 10, 10, 37, 30));
        var otherInstance = Fixture.CreateStore(Clock);
        Clock.SetUtcNow(Utc(2026, 6, 10, 10, 38));
        await otherInstance.Accounts.SaveAccountAsync(new UsageAccount("acct") { BillingCycle = BillingCycle.Monthly(Utc(2026, 6, 10, 10, 37, 12)) });

        await RecordAtAsync(provider, "acct", 2, Utc(2026, 6, 10, 10, 38, 30));
        await RecordAtAsync(provider, "acct", 4, Utc(2026, 6, 10, 10, 40));
        var series = await provider.GetRequiredService<IUsageMeter>().GetSeriesAsync("acct", Utc(2026, 6, 10), Utc(2026, 6, 11), ApiCalls);

        Assert.That(
            series.Select(b => (b.BucketStart, b.Quantity)),
            Is.EqualTo(new[] { (Utc(2026, 6, 10, 10), 3L), (Utc(2026, 6, 10, 10, 37, 12), 4L) }),
            "10:38:30 still used what was loaded at 10:37:30 (no cycle); 10:40 is past the 2-minute refresh and is cut");
    }

    [Test]
    public async Task IncrementAsync_WithAResolver_LoadsTheCycleOncePerRefreshInterval()
    {
        var resolver = new CountingResolver(BillingCycle.Monthly(Utc(2026, 6, 1)));
        var provider = await StartAsync(Utc(2026, 6, 10, 10), u => u.UseAccountResolver(_ => resolver), o => o.BillingCycleRefreshInterval = TimeSpan.FromMinutes(10));
        var meter = provider.GetRequiredService<IUsageMeter>();

        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => meter.IncrementAsync("acct", 1, ApiCalls)));
        var afterBurst = resolver.Calls;
        Clock.SetUtcNow(Utc(2026, 6, 10, 10, 9));
        await meter.IncrementAsync("acct", 1, ApiCalls);
        var beforeRefresh = resolver.Calls;
        Clock.SetUtcNow(Utc(2026, 6, 10, 10, 11));
        await meter.IncrementAsync("acct", 1, ApiCalls);

        Assert.That((afterBurst, beforeRefresh, resolver.Calls), Is.EqualTo((1, 1, 2)));
    }

    [Test]
    public async Task IncrementAsync_ResolverFails_SucceedsAndAsksAgainSecondsLater()
    {
        var resolver = new FlakyResolver(BillingCycle.Monthly(Utc(2026, 6, 10, 10, 37, 12))) { Failing = true };
        var provider = await StartAsync(Utc(2026, 6, 10, 10, 38), u => u.UseAccountResolver(_ => resolver));

        await RecordAtAsync(provider, "acct", 1, Utc(2026, 6, 10, 10, 38));
        resolver.Failing = false;
        await RecordAtAsync(provider, "acct", 2, Utc(2026, 6, 10, 10, 38, 4));
        await RecordAtAsync(provider, "acct", 4, Utc(2026, 6, 10, 10, 38, 6));
        var series = await provider.GetRequiredService<IUsageMeter>().GetSeriesAsync("acct", Utc(2026, 6, 10), Utc(2026, 6, 11), ApiCalls);

        Assert.That(
            series.Select(b => (b.BucketStart, b.Quantity)),
            Is.EqualTo(new[] { (Utc(2026, 6, 10, 10), 3L), (Utc(2026, 6, 10, 10, 37, 12), 4L) }),
            "recorded uncut while the resolver failed and for 5 seconds after; cut once it was asked again");
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(86_401)]
    public void AddUsageBilling_BillingCycleRefreshIntervalOutOfRange_IsRefusedNamingTheOption(int seconds)
    {
        var store = Fixture.CreateStore(TimeProvider.System);
        var options = new UsageBillingOptions { BillingCycleRefreshInterval = TimeSpan.FromSeconds(seconds) };

        var exception = Assert.Throws<OptionsValidationException>(() => _ = new UsageMeter(store.Ledger, Options.Create(options)));

        Assert.That(exception!.Message, Does.Contain("BillingCycleRefreshInterval must be at least 1 second and at most 1 day"));
    }

    [Test]
    public async Task SaveAccountAsync_BadCycleValues_AreRefusedAndNothingIsStored()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10));
        var accounts = provider.GetRequiredService<IUsageAccountStore>();
        var good = BillingCycle.Monthly(Utc(2026, 6, 1));
        await accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1", BillingCycle = good });

        var problems = new List<(string?, Type)>();
        foreach (var bad in new Func<BillingCycle>[]
        {
            () => new BillingCycle(Utc(2026, 6, 1), BillingInterval.Month, 0),
            () => new BillingCycle(Utc(2026, 6, 1), BillingInterval.Month, 37),
            () => new BillingCycle(Utc(2026, 6, 1), (BillingInterval)7),
            () => new BillingCycle(Utc(1969, 12, 31), BillingInterval.Day),
            () => BillingCycle.FromCurrentPeriod(Utc(2026, 6, 1), Utc(2026, 6, 1)),
            () => BillingCycle.FromCurrentPeriod(Utc(2026, 6, 1), Utc(2026, 6, 1, 12)),
        })
        {
            try
            {
                await accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_2", BillingCycle = bad() });
                problems.Add((null, typeof(void)));
            }
            catch (ArgumentException exception)
            {
                problems.Add((exception.ParamName, exception.GetType()));
            }
        }

        var stored = await accounts.GetAccountAsync("acct");
        Assert.Multiple(() =>
        {
            Assert.That(problems, Is.EqualTo(new[]
            {
                ("intervalCount", typeof(ArgumentOutOfRangeException)),
                ("intervalCount", typeof(ArgumentOutOfRangeException)),
                ("interval", typeof(ArgumentOutOfRangeException)),
                ("anchor", typeof(ArgumentOutOfRangeException)),
                ("end", typeof(ArgumentException)),
                ("end", typeof(ArgumentException)),
            }));
            Assert.That((stored!.StripeCustomerId, stored.BillingCycle), Is.EqualTo(("cus_1", good)), "nothing stored");
        });
    }

    /// <summary>A host's resolver whose table can be down.</summary>
    private sealed class FlakyResolver(BillingCycle cycle) : IUsageAccountResolver
    {
        public bool Failing { get; set; }

        public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default) =>
            Failing ? throw new InvalidOperationException("The account table is down.") : Task.FromResult<UsageAccount?>(new UsageAccount(account) { BillingCycle = cycle });
    }

    /// <summary>A host's resolver that counts its lookups.</summary>
    private sealed class CountingResolver(BillingCycle cycle) : IUsageAccountResolver
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public async Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            await Task.Delay(20, cancellationToken); // long enough for the burst to find the load in progress
            return new UsageAccount(account) { BillingCycle = cycle };
        }
    }
}
