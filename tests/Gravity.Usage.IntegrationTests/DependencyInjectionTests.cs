using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests;

/// <summary>AddUsageBilling end to end: registration, the clock, options validation and disposal of the container (DESIGN §3).</summary>
public sealed class DependencyInjectionTests : LedgerTest
{
    [Test]
    public async Task AddUsageBilling_UseSqliteAndAddMeter_ResolvesAMeterThatCountsWithTheRegisteredClock()
    {
        await using var provider = BuildProvider(u => u.UseSqlite(Database.ConnectionString).AddMeter(ApiCalls));
        Clock.SetUtcNow(Start.AddMinutes(42));

        var meter = provider.GetRequiredService<UsageMeter>();
        await meter.IncrementAsync("acct", 3, ApiCalls);
        await meter.IncrementAsync("acct", 4, ApiCalls);

        var series = await meter.GetSeriesAsync("acct", AllTimeFrom, AllTimeTo, ApiCalls);
        Assert.Multiple(() =>
        {
            Assert.That(provider.GetRequiredService<UsageMeter>(), Is.SameAs(meter));
            Assert.That(provider.GetRequiredService<IUsageStore>(), Is.TypeOf<SqliteUsageStore>());
            Assert.That(series, Is.EqualTo(new[] { new UsageBucket(Start, 7, 0) }), "bucketed by the registered clock");
            Assert.That(Database.ExecuteScalar("SELECT applied_at FROM usage_schema_version"), Does.StartWith("2025-03-10T10:42:00"), "the store uses the registered clock too");
        });
    }

    [Test]
    public async Task DisposeAsync_ServiceProvider_FlushesQueuedIncrementsAndClosesTheFile()
    {
        var provider = BuildProvider(u => u.UseSqlite(Database.ConnectionString));
        var meter = provider.GetRequiredService<UsageMeter>();
        var increments = Enumerable.Range(0, 2_000).Select(i => meter.IncrementAsync($"acct_{i % 5}", 2)).ToList();

        await provider.DisposeAsync();
        // SQLite removes the log when the last connection to the file closes.
        var logRemoved = !File.Exists(Database.Path + "-wal");
        var committed = Database.ExecuteScalar("SELECT SUM(quantity) FROM usage_counter");
        var outcomes = await Task.WhenAll(increments).WaitAsync(HangGuard);
        File.Delete(Database.Path);

        Assert.Multiple(() =>
        {
            Assert.That(committed, Is.EqualTo(4_000L));
            Assert.That(outcomes, Is.All.EqualTo(IncrementOutcome.Recorded));
            Assert.That(logRemoved, Is.True, "no connection to the file is left open");
            Assert.That(File.Exists(Database.Path), Is.False);
        });
    }

    [Test]
    public async Task AddUsageBilling_WithoutArguments_UsesSqliteWithTheDefaultMeter()
    {
        var services = new ServiceCollection().AddUsageBilling().AddSingleton<TimeProvider>(Clock);
        await using var defaults = services.BuildServiceProvider();
        var defaultConnectionString = defaults.GetRequiredService<IOptions<SqliteUsageStoreOptions>>().Value.ConnectionString;

        services.Configure<SqliteUsageStoreOptions>(o => o.ConnectionString = Database.ConnectionString);
        await using var provider = services.BuildServiceProvider();
        var meter = provider.GetRequiredService<UsageMeter>();
        await meter.IncrementAsync("acct", 5);

        var total = await TotalAsync(meter, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(defaults.GetRequiredService<IUsageStore>(), Is.TypeOf<SqliteUsageStore>());
            Assert.That(defaultConnectionString, Is.EqualTo("Data Source=" + Path.Combine(SqliteUsageStoreOptions.DefaultDirectory, SqliteUsageStoreOptions.DefaultFileName)));
            Assert.That(provider.GetRequiredService<IUsageStore>(), Is.TypeOf<SqliteUsageStore>());
            Assert.That(total, Is.EqualTo(5));
        });
    }

    [Test]
    public async Task AddUsageBilling_InvalidBucketSizeAndBatchSize_ResolvingTheMeterListsBothFailures()
    {
        await using var provider = BuildProvider(u => u
            .UseSqlite(Database.ConnectionString)
            .Configure(o =>
            {
                o.BucketSize = TimeSpan.FromMinutes(7);
                o.MaxBatchSize = 0;
            }));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<UsageMeter>())!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failures.Count(), Is.EqualTo(2));
            Assert.That(ex.Failures, Has.Some.Contains("BucketSize must be whole seconds, at least 1 minute and divide a day evenly"));
            Assert.That(ex.Failures, Has.Some.Contains("MaxBatchSize must be between 1 and 65536"));
            Assert.That(File.Exists(Database.Path), Is.False, "nothing was opened");
        });
    }

    [Test]
    public async Task AddUsageBilling_CalledTwice_DeclaresEveryMeterOnOneMeterInstance()
    {
        var services = new ServiceCollection()
            .AddUsageBilling(u => u.UseSqlite(Database.ConnectionString).AddMeter(ApiCalls))
            .AddUsageBilling(u => u.AddMeter("tokens", m => m.StripeEventName = "llm_tokens"))
            .AddSingleton<TimeProvider>(Clock);
        await using var provider = services.BuildServiceProvider();

        var meter = provider.GetRequiredService<UsageMeter>();
        await meter.IncrementAsync("acct", 1, ApiCalls);
        await meter.IncrementAsync("acct", 2, "tokens");

        var summary = await meter.GetAsync("acct", AllTimeFrom, AllTimeTo);
        Assert.Multiple(() =>
        {
            Assert.That(services.Count(d => d.ServiceType == typeof(UsageMeter)), Is.EqualTo(1));
            Assert.That(provider.GetRequiredService<IOptions<UsageBillingOptions>>().Value.Meters["tokens"].StripeEventName, Is.EqualTo("llm_tokens"));
            Assert.That(summary.Meters, Is.EqualTo(new[] { new MeterUsage(ApiCalls, 1) { PendingQuantity = 1 }, new MeterUsage("tokens", 2) { PendingQuantity = 2 } }));
        });
    }

    [Test]
    public async Task AddUsageBilling_UseStore_RoutesIncrementsThroughTheGivenStore()
    {
        var gated = CreateGatedStore();
        await using var provider = BuildProvider(u => u.UseStore(_ => gated));

        var meter = provider.GetRequiredService<UsageMeter>();
        await meter.IncrementAsync("acct", 3);

        Assert.Multiple(() =>
        {
            Assert.That(provider.GetRequiredService<IUsageStore>(), Is.SameAs(gated));
            Assert.That(gated.Batches.SelectMany(b => b).Select(i => (i.Account, i.Quantity)), Is.EqualTo(new[] { ("acct", 3L) }));
            Assert.That(Database.CounterRows(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task UseStripe_OnTheBuiltInLedger_RegistersOneReconciler()
    {
        await using var provider = BuildProvider(u => u.UseSqlite(Database.ConnectionString).UseStripe(o => o.ApiKey = "sk_test_registration"));

        var reconciler = provider.GetRequiredService<IUsageReconciler>();

        Assert.Multiple(() =>
        {
            Assert.That(reconciler, Is.InstanceOf<Gravity.Usage.Stripe.StripeUsageReconciler>());
            Assert.That(provider.GetRequiredService<IUsageReconciler>(), Is.SameAs(reconciler));
        });
    }

    [Test]
    public async Task UseStripe_InvalidReconciliationOptions_AreRefusedListingTheRule()
    {
        var services = new ServiceCollection()
            .AddUsageBilling(u => u.UseSqlite(Database.ConnectionString).UseStripe(o => o.ApiKey = "sk_test_registration"))
            .AddSingleton<TimeProvider>(Clock)
            .Configure<UsageReconciliationOptions>(o => o.SettleTime = TimeSpan.Zero);
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUsageReconciler>())!;

        Assert.That(ex.Failures, Has.One.Contains("SettleTime"));
    }

    private ServiceProvider BuildProvider(Action<UsageBillingBuilder> configure) =>
        new ServiceCollection()
            .AddUsageBilling(configure)
            .AddSingleton<TimeProvider>(Clock)
            .BuildServiceProvider();
}
