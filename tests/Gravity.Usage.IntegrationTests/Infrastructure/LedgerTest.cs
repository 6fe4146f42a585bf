using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Infrastructure;

/// <summary>
/// Base of the tests that run against a real SQLite file: a fresh file and a manual clock per test, and factories
/// for stores and meters that are disposed, with every file deleted, after the test.
/// </summary>
public abstract class LedgerTest
{
    /// <summary>The instant every test's clock starts at: 10:00 UTC, on an hour boundary.</summary>
    protected static readonly DateTimeOffset Start = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    /// <summary>How long a test waits for something that only a bug would prevent, so that it fails instead of hanging.</summary>
    protected static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>A meter every test meter declares, besides the default one.</summary>
    protected const string ApiCalls = "api_calls";

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<GatedUsageStore> _gates = [];
    private readonly List<SqliteFile> _files = [];

    protected FakeTimeProvider Clock { get; private set; } = null!;

    protected SqliteFile Database { get; private set; } = null!;

    /// <summary>A period wide enough to hold every bucket a test writes.</summary>
    protected static DateTimeOffset AllTimeFrom => Start.AddYears(-1);

    protected static DateTimeOffset AllTimeTo => Start.AddYears(1);

    [SetUp]
    public void CreateLedger()
    {
        Clock = new FakeTimeProvider(Start);
        Database = NewDatabaseFile();
    }

    /// <summary>
    /// A fresh clock at <see cref="Start"/> for what is created from now on. A <see cref="FakeTimeProvider"/> never goes
    /// back, so a test that replays a history on a second ledger replays it on a clock of its own.
    /// </summary>
    protected void RestartClock() => Clock = new FakeTimeProvider(Start);

    [TearDown]
    public async Task DisposeLedgerAsync()
    {
        // A test that failed while holding a gate would otherwise leave its meter's flush waiting forever.
        foreach (var gate in _gates)
        {
            gate.Open();
        }

        _gates.Clear();

        // Meters before stores: a meter flushes into its store when disposed.
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _owned.Clear();
        SqliteConnection.ClearAllPools();
        foreach (var file in _files)
        {
            file.Delete();
        }

        _files.Clear();
    }

    /// <summary>Another database file, deleted after the test.</summary>
    protected SqliteFile NewDatabaseFile()
    {
        var file = new SqliteFile();
        _files.Add(file);
        return file;
    }

    /// <summary>Disposes <paramref name="disposable"/> after the test, in reverse order of ownership.</summary>
    protected T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    protected SqliteUsageStore CreateStore(SqliteFile? file = null, Action<SqliteUsageStoreOptions>? configure = null)
    {
        var options = new SqliteUsageStoreOptions { ConnectionString = (file ?? Database).ConnectionString };
        configure?.Invoke(options);
        return Own(new SqliteUsageStore(options, Clock));
    }

    /// <summary>A real store on <see cref="Database"/> behind a gate the test controls; the gate is opened after the test.</summary>
    protected GatedUsageStore CreateGatedStore()
    {
        var gated = new GatedUsageStore(CreateStore());
        _gates.Add(gated);
        return gated;
    }

    /// <summary>A meter on <paramref name="store"/> (a new store on <see cref="Database"/> when null) that declares <see cref="ApiCalls"/>.</summary>
    protected UsageMeter CreateMeter(IUsageStore? store = null, Action<UsageBillingOptions>? configure = null)
    {
        var options = new UsageBillingOptions();
        options.Meters[ApiCalls] = new MeterOptions();
        configure?.Invoke(options);
        return Own(new UsageMeter(store ?? CreateStore(), Options.Create(options), Clock));
    }

    /// <summary>An account's total on one meter over all time.</summary>
    protected static async Task<long> TotalAsync(UsageMeter meter, string account, string meterName = UsageBillingOptions.DefaultMeterName)
    {
        var summary = await meter.GetAsync(account, AllTimeFrom, AllTimeTo, meterName);
        return summary.GetMeter(meterName).Quantity;
    }

    /// <summary>A validated increment as the meter would hand it to a store, bucketed by the hour.</summary>
    protected UsageIncrement Increment(string account, long quantity, string? key = null, string meter = UsageBillingOptions.DefaultMeterName, DateTimeOffset? bucketStart = null) =>
        new(account, meter, bucketStart ?? Start, quantity, key, Clock.GetUtcNow());
}
