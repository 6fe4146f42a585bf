using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Sqlite;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>
/// Base of the outbox tests: a real SQLite store with its built-in account mapping, a meter on it, a
/// <see cref="RecordingSink"/> and reporters built on them, all on the test's manual clock.
/// </summary>
public abstract class ReportingTest : LedgerTest
{
    /// <summary>A meter whose Stripe event name differs from its own name.</summary>
    protected const string Tokens = "tokens";

    /// <summary>The Stripe event name of <see cref="Tokens"/>.</summary>
    protected const string TokensEvent = "llm_tokens";

    protected const string Usage = UsageBillingOptions.DefaultMeterName;

    protected static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    protected SqliteUsageStore Store { get; private set; } = null!;

    protected UsageMeter Meter { get; private set; } = null!;

    protected RecordingSink Sink { get; private set; } = null!;

    /// <summary>The counting options shared by the meter and the reporters: hourly buckets, three meters.</summary>
    protected UsageBillingOptions Billing { get; private set; } = null!;

    [SetUp]
    public void CreateOutbox()
    {
        Billing = new UsageBillingOptions();
        Billing.Meters[ApiCalls] = new MeterOptions();
        Billing.Meters[Tokens] = new MeterOptions { StripeEventName = TokensEvent };
        Store = CreateStore();
        Meter = Own(new UsageMeter(Store, Options.Create(Billing), Clock));
        Sink = new RecordingSink();
    }

    [TearDown]
    public async Task DisposeOutboxAsync()
    {
        // The base class disposes them too (both are idempotent); meter first, as it flushes into the store.
        await Meter.DisposeAsync();
        await Store.DisposeAsync();
    }

    /// <summary>A reporter on <see cref="Store"/> and <see cref="Sink"/> (or the given ones) with the built-in account mapping.</summary>
    protected UsageReporter CreateReporter(
        Action<UsageReportingOptions>? configure = null,
        IUsageSink? sink = null,
        IUsageAccountResolver? resolver = null,
        SqliteUsageStore? store = null,
        IUsageReportStore? reportStore = null,
        System.Diagnostics.Metrics.IMeterFactory? meterFactory = null)
    {
        var options = new UsageReportingOptions();
        configure?.Invoke(options);
        store ??= Store;
        return new UsageReporter(
            reportStore ?? store,
            sink ?? Sink,
            resolver ?? new StoreAccountResolver(store),
            Options.Create(Billing),
            Options.Create(options),
            Clock,
            meterFactory: meterFactory);
    }

    /// <summary>Maps an account to a Stripe customer in the built-in account table.</summary>
    protected Task MapAsync(string account, string? customer, bool billable = true) =>
        Store.SaveAccountAsync(new UsageAccount(account) { StripeCustomerId = customer, Billable = billable });

    /// <summary>Every report, oldest first, optionally of one account.</summary>
    protected async Task<IReadOnlyList<UsageReport>> ReportsAsync(string? account = null, UsageReportStatus? status = null) =>
        await Store.ListReportsAsync(new UsageReportQuery { Account = account, Status = status, Limit = 100_000 });

    /// <summary>The one report there is, failing the test when there is not exactly one.</summary>
    protected async Task<UsageReport> SingleReportAsync(string? account = null)
    {
        var reports = await ReportsAsync(account);
        Assert.That(reports, Has.Count.EqualTo(1), "exactly one report");
        return reports[0];
    }

    /// <summary>Moves the clock to <paramref name="offset"/> after <see cref="LedgerTest.Start"/>.</summary>
    protected void At(TimeSpan offset) => Clock.SetUtcNow(Start + offset);

    /// <summary>An account's usage of one meter over all time: counted and reported.</summary>
    protected async Task<MeterUsage> LocalAsync(string account, string meter)
    {
        var summary = await Meter.GetAsync(account, AllTimeFrom, AllTimeTo, meter);
        return summary.GetMeter(meter);
    }

    /// <summary>The lease columns of a report, read from the file.</summary>
    protected (object Owner, object ExpiresAt) Lease(long id)
    {
        var row = Database.Query($"SELECT lease_owner, lease_expires_at FROM usage_report WHERE id = {id}").Single();
        return (row[0], row[1]);
    }
}
