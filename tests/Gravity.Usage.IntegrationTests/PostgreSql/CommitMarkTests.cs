using Dapper;
using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.PostgreSql;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.PostgreSql;

/// <summary>
/// The commit marks that tell a lost COMMIT's outcome (schema version 9): a claim from another connection waits for
/// the batch's transaction, finds its mark when it committed, and when it wins, the batch can never commit.
/// </summary>
public sealed class CommitMarkTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private readonly string _schema = $"gu_test_{Guid.NewGuid():N}";
    private NpgsqlDataSource _dataSource = null!;
    private PostgreSqlQueries _queries = null!;
    private PostgreSqlUsageStore _store = null!;

    [SetUp]
    public async Task CreateStoreAsync()
    {
        await PostgreSqlServer.RequireAsync();
        _dataSource = NpgsqlDataSource.Create(PostgreSqlServer.ConnectionString);
        _queries = new PostgreSqlQueries(_schema);
        _store = new PostgreSqlUsageStore(new PostgreSqlUsageStoreOptions { DataSource = _dataSource, SchemaName = _schema }, new FakeTimeProvider(Start));
        await _store.EnsureSchemaAsync();
    }

    [TearDown]
    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _dataSource.DisposeAsync();
        await using var admin = new NpgsqlConnection(PostgreSqlServer.ConnectionString);
        await admin.ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
    }

    [Test]
    public async Task OneRoundTrip_MarkClaimedBeforeTheBatchRan_TheBatchFailsAndAppliesNothing()
    {
        var mark = Guid.CreateVersion7(Start);
        var lost = new IOException("the COMMIT's answer was lost");

        // The store that lost the answer claims first: the claim wins, and the callers get the original error.
        var claimed = Assert.ThrowsAsync<IOException>(() => PostgreSqlCommitOutcome.ConfirmCommittedAsync(_dataSource, _queries, mark, lost, TimeSpan.FromSeconds(10)));
        // Then the batch's round trip reaches the server late.
        var late = Assert.ThrowsAsync<PostgresException>(() => RunOneRoundTripAsync(Batch("k-1", "k-2"), mark));

        Assert.Multiple(async () =>
        {
            Assert.That(claimed, Is.SameAs(lost));
            Assert.That(late!.SqlState, Is.EqualTo(PostgresErrorCodes.UniqueViolation), "its own insert of the mark fails");
            Assert.That(await CountAsync("usage_counter"), Is.Zero);
            Assert.That(await CountAsync("usage_idempotency_hash"), Is.Zero);
            Assert.That(await _store.WriteAsync(Batch("k-1", "k-2")), Is.All.EqualTo(UsageWriteStatus.Recorded), "nothing of it was kept");
        });
    }

    [TestCase(true, TestName = "ConfirmCommittedAsync_BatchCommitsWhileTheClaimWaits_ReportsCommitted")]
    [TestCase(false, TestName = "ConfirmCommittedAsync_BatchRollsBackWhileTheClaimWaits_ThrowsTheOriginalError")]
    public async Task ConfirmCommittedAsync_BatchEndsWhileTheClaimWaits_ReportsHowItEnded(bool commits)
    {
        var mark = Guid.CreateVersion7(Start);
        var lost = new IOException("the COMMIT's answer was lost");
        await using var batch = await _dataSource.OpenConnectionAsync();
        var transaction = await batch.BeginTransactionAsync();
        await PostgreSqlCommitOutcome.InsertMarkAsync(batch, transaction, _queries, mark, CancellationToken.None);

        var confirm = PostgreSqlCommitOutcome.ConfirmCommittedAsync(_dataSource, _queries, mark, lost, TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        var waited = !confirm.IsCompleted;
        if (commits)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
        }

        var outcome = await CatchAsync(confirm);
        Assert.Multiple(() =>
        {
            Assert.That(waited, Is.True, "the claim waits while the batch's transaction is in progress");
            Assert.That(outcome, commits ? Is.Null : Is.SameAs(lost));
        });
    }

    [Test]
    public async Task ConfirmCommittedAsync_BatchStillInProgressPastTheTimeout_ThrowsUsageCommitOutcomeUnknownException()
    {
        var mark = Guid.CreateVersion7(Start);
        await using var batch = await _dataSource.OpenConnectionAsync();
        await using var transaction = await batch.BeginTransactionAsync();
        await PostgreSqlCommitOutcome.InsertMarkAsync(batch, transaction, _queries, mark, CancellationToken.None);

        var ex = Assert.ThrowsAsync<UsageCommitOutcomeUnknownException>(
            () => PostgreSqlCommitOutcome.ConfirmCommittedAsync(_dataSource, _queries, mark, new IOException("lost"), TimeSpan.FromSeconds(1)))!;

        Assert.That(ex.InnerException, Is.InstanceOf<IOException>());
    }

    [Test]
    public async Task ConfirmCommittedAsync_AskedAgainAfterItsOwnClaimWon_StillThrowsTheOriginalError()
    {
        // A claim whose own answer was lost is made again: it must find its earlier claim, not mistake it for the batch's mark.
        var mark = Guid.CreateVersion7(Start);
        var lost = new IOException("lost");
        Assert.ThrowsAsync<IOException>(() => PostgreSqlCommitOutcome.ConfirmCommittedAsync(_dataSource, _queries, mark, lost, TimeSpan.FromSeconds(10)));

        var again = Assert.ThrowsAsync<IOException>(() => PostgreSqlCommitOutcome.ConfirmCommittedAsync(_dataSource, _queries, mark, lost, TimeSpan.FromSeconds(10)));

        Assert.That(again, Is.SameAs(lost));
    }

    [Test]
    public async Task WriteAsync_CommitAnswerLostOnTheStatementByStatementPath_ReturnsTheRealStatuses()
    {
        await using var proxy = new PostgresCommitFaultProxy(PostgreSqlServer.ConnectionString);
        await using var store = new PostgreSqlUsageStore(new PostgreSqlUsageStoreOptions { ConnectionString = proxy.ConnectionString, SchemaName = _schema }, new FakeTimeProvider(Start));
        await store.WriteAsync(Batch("seen"));
        // The one-round-trip attempt fails on the key seen before (the server skips its COMMIT); the fault takes the next COMMIT.
        proxy.Arm(CommitFault.DropAfterCommitAnswered, passesFirst: 1);

        var statuses = await store.WriteAsync(Batch("k-1", "seen", "k-2"));

        Assert.Multiple(async () =>
        {
            Assert.That(proxy.Fired.IsCompleted, Is.True, "the COMMIT's answer was lost");
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate, UsageWriteStatus.Recorded }));
            Assert.That(await _store.GetTotalsAsync("acct", Start, Start.AddHours(1), null), Has.One.Property(nameof(MeterUsage.Quantity)).EqualTo(3));
        });
    }

    [Test]
    public async Task PruneIdempotencyKeysAsync_MarksOlderThanAnHour_AreSweptAndNewerOnesKept()
    {
        await _store.WriteAsync(Batch("k-1"));
        await using (var admin = await _dataSource.OpenConnectionAsync())
        {
            await admin.ExecuteAsync($"INSERT INTO {_schema}.usage_commit_mark (mark, claimed, created_at) VALUES (@Old, true, now() - interval '61 minutes')", new { Old = Guid.NewGuid() });
        }

        var deleted = await _store.PruneIdempotencyKeysAsync(Start.AddYears(-1), 100);

        Assert.Multiple(async () =>
        {
            Assert.That(deleted, Is.EqualTo(1), "the old mark; no key has expired");
            Assert.That(await CountAsync("usage_commit_mark"), Is.EqualTo(1), "the batch's own mark, minutes old, stays");
        });
    }

    private static UsageIncrement[] Batch(params string[] keys) =>
        [.. keys.Select(k => new UsageIncrement("acct", UsageBillingOptions.DefaultMeterName, Start, 1, k, Start))];

    private async Task RunOneRoundTripAsync(UsageIncrement[] increments, Guid mark)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var plan = new PostgreSqlBatchWriter(connection, null, _queries).PlanOneRoundTrip(increments, mark)!;
        await using (plan.Batch)
        {
            await plan.Batch.ExecuteNonQueryAsync();
        }
    }

    private async Task<long> CountAsync(string table)
    {
        await using var admin = await _dataSource.OpenConnectionAsync();
        return await admin.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {_schema}.{table}");
    }

    private static async Task<Exception?> CatchAsync(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
