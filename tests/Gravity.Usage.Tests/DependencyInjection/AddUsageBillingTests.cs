using Gravity.Usage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Moq;

namespace Gravity.Usage.Tests.DependencyInjection;

public sealed class AddUsageBillingTests
{
    [Test]
    public async Task AddUsageBilling_NoArguments_UsesSqliteFileInTheUsersDataFolder()
    {
        await using var provider = new ServiceCollection().AddUsageBilling().BuildServiceProvider();

        Assert.That(provider.GetRequiredService<IUsageStore>(), Is.InstanceOf<SqliteUsageStore>());
        var sqlite = provider.GetRequiredService<IOptions<SqliteUsageStoreOptions>>().Value;
        Assert.That(sqlite.ConnectionString, Does.Contain(Path.Combine(SqliteUsageStoreOptions.DefaultDirectory, SqliteUsageStoreOptions.DefaultFileName)));
        Assert.That(provider.GetRequiredService<IOptions<UsageBillingOptions>>().Value.IsDeclared("usage"), Is.True);
    }

    [Test]
    public void DefaultDirectory_OfTheLedger_IsOutsideTheBuildOutput()
    {
        // A clean build or a redeploy replaces the application's directory; the ledger must not live there.
        var directory = Path.GetFullPath(SqliteUsageStoreOptions.DefaultDirectory);
        var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        Assert.Multiple(() =>
        {
            Assert.That(directory, Does.Not.StartWith(Path.GetFullPath(AppContext.BaseDirectory).TrimEnd(Path.DirectorySeparatorChar)));
            Assert.That(directory, Is.EqualTo(Path.Combine(local, "Gravity.Usage", System.Reflection.Assembly.GetEntryAssembly()!.GetName().Name!)));
        });
    }

    [Test]
    public void AddUsageBilling_Twice_RegistersEachServiceOnce()
    {
        var services = new ServiceCollection()
            .AddUsageBilling(u => u.AddMeter("api_calls"))
            .AddUsageBilling(u => u.AddMeter("tokens"));

        Assert.Multiple(() =>
        {
            Assert.That(services.Count(d => d.ServiceType == typeof(UsageMeter)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(IUsageMeter)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(IUsageStore)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(IValidateOptions<UsageBillingOptions>)), Is.EqualTo(1));
        });
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<UsageBillingOptions>>().Value;
        Assert.That(options.Meters.Keys, Is.EquivalentTo(new[] { "api_calls", "tokens" }));
    }

    [Test]
    public async Task AddUsageBilling_UseStore_ReplacesSqliteWhateverTheOrder()
    {
        var custom = Mock.Of<IUsageStore>();
        var services = new ServiceCollection()
            .AddUsageBilling()
            .AddUsageBilling(u => u.UseStore(_ => custom));
        await using var provider = services.BuildServiceProvider();

        Assert.That(provider.GetRequiredService<IUsageStore>(), Is.SameAs(custom));
        Assert.That(services.Count(d => d.ServiceType == typeof(IUsageStore)), Is.EqualTo(1));
    }

    [Test]
    public async Task AddUsageBilling_UseSqlite_ConfiguresTheFile()
    {
        await using var provider = new ServiceCollection()
            .AddUsageBilling(u => u.UseSqlite(o =>
            {
                o.ConnectionString = "Data Source=ledger.db";
                o.TablePrefix = "app_";
            }))
            .BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SqliteUsageStoreOptions>>().Value;
        Assert.That((options.ConnectionString, options.TablePrefix), Is.EqualTo(("Data Source=ledger.db", "app_")));
    }

    [Test]
    public async Task AddUsageBilling_InvalidOptions_ResolvingTheMeterListsEveryFailure()
    {
        await using var provider = new ServiceCollection()
            .AddUsageBilling(u => u.Configure(o =>
            {
                o.BucketSize = TimeSpan.FromMinutes(7);
                o.MaxBatchSize = 0;
            }))
            .BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<UsageMeter>());
        Assert.That(ex!.Failures.Count(), Is.EqualTo(2));
    }

    [Test]
    public async Task AddUsageBilling_UnsafeTablePrefix_ResolvingTheStoreFails()
    {
        await using var provider = new ServiceCollection()
            .AddUsageBilling(u => u.UseSqlite(o => o.TablePrefix = "x; drop"))
            .BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUsageStore>());
        Assert.That(ex!.Message, Does.Contain("TablePrefix"));
    }

    [TestCase("")]
    [TestCase(" api")]
    [TestCase("api\u0000")]
    public void AddMeter_BadName_ThrowsNamingName(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddUsageBilling(u => u.AddMeter(name)));
        Assert.That(ex!.ParamName, Is.EqualTo("name"));
    }

    [Test]
    public async Task AddUsageBilling_HostTimeProvider_IsUsed()
    {
        var clock = TestClock.At(TestClock.Now);
        var written = new List<UsageIncrement>();
        var store = new Mock<IUsageStore>();
        store.Setup(s => s.WriteAsync(It.IsAny<IReadOnlyList<UsageIncrement>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyList<UsageIncrement> batch, CancellationToken _) =>
            {
                written.AddRange(batch);
                return batch.Select(_ => UsageWriteStatus.Recorded).ToArray();
            });
        await using var provider = new ServiceCollection()
            .AddSingleton(clock)
            .AddUsageBilling(u => u.UseStore(_ => store.Object))
            .BuildServiceProvider();

        await provider.GetRequiredService<UsageMeter>().IncrementAsync("acct");

        Assert.That(written.Single().RecordedAt, Is.EqualTo(TestClock.Now));
    }

    [Test]
    public async Task AddUsageBilling_IUsageMeter_IsTheSameMeterAndAHostCanFakeIt()
    {
        await using var provider = new ServiceCollection()
            .AddSingleton(TestClock.At(TestClock.Now))
            .AddUsageBilling(u => u.UseStore(_ => new Mock<IUsageStore>().Object))
            .BuildServiceProvider();
        var fake = new Mock<IUsageMeter>();
        fake.Setup(m => m.IncrementAsync("acct", 3, "api_calls", null, null, default)).ReturnsAsync(IncrementOutcome.Duplicate);
        await using var hostsTest = new ServiceCollection()
            .AddSingleton(TestClock.At(TestClock.Now))
            .AddUsageBilling(u => u.UseStore(_ => new Mock<IUsageStore>().Object))
            .AddSingleton(fake.Object) // registered after: the host's fake wins
            .BuildServiceProvider();

        Assert.Multiple(async () =>
        {
            Assert.That(provider.GetRequiredService<IUsageMeter>(), Is.SameAs(provider.GetRequiredService<UsageMeter>()));
            Assert.That(await hostsTest.GetRequiredService<IUsageMeter>().IncrementAsync("acct", 3, "api_calls"), Is.EqualTo(IncrementOutcome.Duplicate));
        });
    }
}
