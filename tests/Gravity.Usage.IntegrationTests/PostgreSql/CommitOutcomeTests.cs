using Dapper;
using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.PostgreSql;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.PostgreSql;

/// <summary>
/// A commit's outcome is never misreported (issue 8, F3): when the connection fails during COMMIT, the store finds out
/// whether the batch committed and tells each caller the truth. A proxy on the wire loses the COMMIT or its answer.
/// </summary>
public sealed class CommitOutcomeTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private readonly string _schema = $"gu_test_{Guid.NewGuid():N}";
    private readonly List<IAsyncDisposable> _owned = [];
    private PostgresCommitFaultProxy _proxy = null!;

    [SetUp]
    public async Task StartProxyAsync()
    {
        await PostgreSqlServer.RequireAsync();
        _proxy = new PostgresCommitFaultProxy(PostgreSqlServer.ConnectionString);
    }

    [TearDown]
    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await _proxy.DisposeAsync();
        await using var admin = new NpgsqlConnection(PostgreSqlServer.ConnectionString);
        await admin.ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
    }

    [Test]
    public async Task WriteAsync_ConnectionLostAfterTheServerCommitted_ReturnsTheRealStatuses()
    {
        var store = await CreateStoreAsync();
        var batch = Enumerable.Range(0, 30).Select(i => Increment($"k-{i}")).Append(Increment("k-0")).ToArray();
        _proxy.Arm(CommitFault.DropAfterCommitAnswered);

        var statuses = await store.WriteAsync(batch);
        var retry = await store.WriteAsync(batch);

        Assert.Multiple(async () =>
        {
            Assert.That(_proxy.Fired.IsCompleted, Is.True, "the COMMIT's answer was lost");
            Assert.That(statuses, Is.EqualTo(Enumerable.Repeat(UsageWriteStatus.Recorded, 30).Append(UsageWriteStatus.Duplicate)));
            Assert.That(await CommittedTotalAsync(), Is.EqualTo(30));
            Assert.That(retry, Is.All.EqualTo(UsageWriteStatus.Duplicate));
        });
    }

    [Test]
    public async Task IncrementAsync_ConnectionLostAfterTheServerCommitted_EveryCallerIsToldRecorded()
    {
        var meter = new UsageMeter(await CreateStoreAsync(), Options.Create(new UsageBillingOptions()), new FakeTimeProvider(Start));
        _owned.Add(meter);
        _proxy.Arm(CommitFault.DropAfterCommitAnswered);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 31).Select(i => meter.IncrementAsync("acct", idempotencyKey: $"k-{i}")));

        Assert.Multiple(async () =>
        {
            Assert.That(_proxy.Fired.IsCompleted, Is.True, "the COMMIT's answer was lost");
            Assert.That(outcomes, Is.All.EqualTo(IncrementOutcome.Recorded));
            Assert.That(await CommittedTotalAsync(), Is.EqualTo(31));
        });
    }

    [Test]
    public async Task WriteAsync_ConnectionLostBeforeTheCommitReachedTheServer_FaultsAndAppliedNothing()
    {
        var store = await CreateStoreAsync();
        var batch = Enumerable.Range(0, 30).Select(i => Increment($"k-{i}")).ToArray();
        _proxy.Arm(CommitFault.DropBeforeCommit);

        var ex = Assert.CatchAsync(() => store.WriteAsync(batch))!;
        var retry = await store.WriteAsync(batch);

        Assert.Multiple(async () =>
        {
            Assert.That(_proxy.Fired.IsCompleted, Is.True);
            Assert.That(ex, Is.InstanceOf<NpgsqlException>(), "a batch known not to have committed fails with the connection's error");
            Assert.That(retry, Is.All.EqualTo(UsageWriteStatus.Recorded), "nothing of the failed batch was applied");
            Assert.That(await CommittedTotalAsync(), Is.EqualTo(30));
        });
    }

    [Test]
    public async Task WriteAsync_CommitOutcomeCannotBeToldInTime_FaultsWithUsageCommitOutcomeUnknownException()
    {
        var store = await CreateStoreAsync(TimeSpan.FromSeconds(1));
        _proxy.Arm(CommitFault.HoldCommitAndDropClient);

        var ex = Assert.ThrowsAsync<UsageCommitOutcomeUnknownException>(() => store.WriteAsync([Increment("k-1")]))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.InnerException, Is.InstanceOf<NpgsqlException>());
            Assert.That(ex.Message, Does.Contain("retrying with the same idempotency key is safe"));
        });
    }

    [Test]
    public void Options_CommitOutcomeTimeoutOutOfRange_IsRefused()
    {
        var options = new PostgreSqlUsageStoreOptions { ConnectionString = PostgreSqlServer.ConnectionString, CommitOutcomeTimeout = TimeSpan.FromSeconds(-1) };

        var ex = Assert.Throws<OptionsValidationException>(() => _ = new PostgreSqlUsageStore(options))!;

        Assert.That(ex.Failures, Has.Some.Contains("CommitOutcomeTimeout must be between zero and 10 minutes"));
    }

    private static UsageIncrement Increment(string key) => new("acct", UsageBillingOptions.DefaultMeterName, Start, 1, key, Start);

    /// <summary>A store whose connections pass through the proxy, with its schema installed (so the armed COMMIT is the batch's).</summary>
    private async Task<PostgreSqlUsageStore> CreateStoreAsync(TimeSpan? commitOutcomeTimeout = null)
    {
        var options = new PostgreSqlUsageStoreOptions { ConnectionString = _proxy.ConnectionString, SchemaName = _schema };
        if (commitOutcomeTimeout is { } timeout)
        {
            options.CommitOutcomeTimeout = timeout;
        }

        var store = new PostgreSqlUsageStore(options, new FakeTimeProvider(Start));
        _owned.Add(store);
        await store.EnsureSchemaAsync();
        return store;
    }

    /// <summary>The account's committed total, read on a direct connection.</summary>
    private async Task<long> CommittedTotalAsync()
    {
        await using var admin = new NpgsqlConnection(PostgreSqlServer.ConnectionString);
        return await admin.ExecuteScalarAsync<long>($"SELECT COALESCE(SUM(quantity), 0) FROM {_schema}.usage_counter WHERE account = 'acct'");
    }
}
