using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.IntegrationTests.Reporting;
using Gravity.Usage.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests;

/// <summary>
/// A ledger file that vanishes or is replaced while the application runs is noticed (issue 8, F4): nothing is
/// acknowledged that a restart would lose; increments fault with a clear, typed error, logged once.
/// </summary>
public sealed class LedgerFileLossTests : LedgerTest
{
    [Test]
    public async Task IncrementAsync_LedgerFileWalAndShmDeletedWhileOpen_EveryLaterIncrementFaultsAndItIsLoggedOnce()
    {
        using var logs = new CapturingLoggerProvider();
        var meter = CreateMeter(CreateLoggingStore(logs));
        await meter.IncrementAsync("acct", 1);

        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            File.Delete(Database.Path + suffix);
        }

        var outcomes = new List<Exception?>();
        for (var i = 0; i < 20; i++)
        {
            outcomes.Add(await CatchAsync(() => meter.IncrementAsync("acct", 1, idempotencyKey: $"after-{i}")));
        }

        var errors = logs.Entries.Where(e => e.Level == LogLevel.Error && e.Category == typeof(SqliteUsageStore).FullName).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(outcomes, Is.All.InstanceOf<UsageLedgerFileLostException>(), "no increment after the deletion was acknowledged");
            Assert.That(outcomes[0]!.Message, Does.Contain(Database.Path).And.Contain("was deleted"));
            Assert.That(errors, Has.Count.EqualTo(1), "logged once at Error");
        });
    }

    [Test]
    public async Task IncrementAsync_LedgerFileReplacedByAnotherFile_Faults()
    {
        var meter = CreateMeter();
        await meter.IncrementAsync("acct", 1);
        var other = NewDatabaseFile();
        var otherMeter = CreateMeter(CreateStore(other));
        await otherMeter.IncrementAsync("someone-else", 5);

        File.Copy(other.Path, Database.Path + ".new");
        File.Move(Database.Path + ".new", Database.Path, overwrite: true);
        var ex = await CatchAsync(() => meter.IncrementAsync("acct", 1));

        Assert.Multiple(() =>
        {
            Assert.That(ex, Is.InstanceOf<UsageLedgerFileLostException>());
            Assert.That(ex!.Message, Does.Contain("was replaced by another file"));
        });
    }

    [Test]
    public async Task GetAsync_LedgerFileDeletedAfterReadsWereServed_FailsInsteadOfReadingTheDeletedFile()
    {
        var meter = CreateMeter();
        await meter.IncrementAsync("acct", 1);
        Assert.That(await TotalAsync(meter, "acct"), Is.EqualTo(1)); // keeps a read session open on the file

        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            File.Delete(Database.Path + suffix);
        }

        Assert.That(await CatchAsync(() => meter.IncrementAsync("acct", 1)), Is.InstanceOf<UsageLedgerFileLostException>());
        var read = await CatchAsync(() => TotalAsync(meter, "acct"));

        Assert.Multiple(() =>
        {
            Assert.That(read, Is.Not.Null, "a session kept from before the loss would still read the deleted file's 1");
            Assert.That(File.Exists(Database.Path), Is.False, "no empty ledger is created at the path by a read");
        });
    }

    [Test]
    public async Task IncrementAsync_WriteAheadLogDeletedWhileOpen_Faults()
    {
        var meter = CreateMeter();
        await meter.IncrementAsync("acct", 1);
        await meter.IncrementAsync("acct", 1);

        File.Delete(Database.Path + "-wal");
        var ex = await CatchAsync(() => meter.IncrementAsync("acct", 1));

        Assert.Multiple(() =>
        {
            Assert.That(ex, Is.InstanceOf<UsageLedgerFileLostException>());
            Assert.That(ex!.Message, Does.Contain("write-ahead log (-wal) was deleted"));
        });
    }

    [Test]
    public async Task IncrementAsync_WriterReopenedAfterAFailure_TheSameFileIsStillAccepted()
    {
        var meter = CreateMeter(CreateStore(configure: o => o.BusyTimeout = TimeSpan.FromSeconds(1)));
        await meter.IncrementAsync("acct", 1);

        // A batch that fails (here: the file is locked by another writer) closes the store's writer. With every
        // connection closed SQLite deletes the write-ahead log, and the reopened writer starts a new one: no alarm.
        Exception? busy;
        using (var blocker = Database.OpenConnection())
        {
            using var begin = blocker.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
            busy = await CatchAsync(() => meter.IncrementAsync("acct", 1));
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var after = await meter.IncrementAsync("acct", 2);

        Assert.Multiple(async () =>
        {
            Assert.That(busy, Is.InstanceOf<Microsoft.Data.Sqlite.SqliteException>());
            Assert.That(after, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(await TotalAsync(meter, "acct"), Is.EqualTo(3));
        });
    }

    private static async Task<Exception?> CatchAsync(Func<Task> act)
    {
        try
        {
            await act();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private SqliteUsageStore CreateLoggingStore(CapturingLoggerProvider logs)
    {
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = Database.ConnectionString }, Clock, logger: factory.CreateLogger<SqliteUsageStore>());
        return Own(store);
    }
}
