using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Sqlite;

/// <summary>
/// Moves committed pages from the write-ahead log into the database file on a connection and thread of its own, so
/// that no batch of increments waits behind a checkpoint, and keeps the log from growing without bound.
/// </summary>
/// <remarks>
/// <para>
/// The write connection runs with <c>wal_autocheckpoint</c> off; after each write it nudges this checkpointer, which
/// runs a PASSIVE checkpoint (it never blocks the writer or readers) at most every <see cref="MinInterval"/>. A
/// checkpoint never drops anything: frames stay in the log until they are in the database file (fsynced), and a
/// crash at any point replays the log on the next open, as with SQLite's own checkpoints.
/// </para>
/// <para>
/// SQLite rewinds the log to its start only when a write begins with every frame already copied. Under a constant
/// stream of commits a background pass never quite catches up (commits land while it runs), so once a pass has
/// copied a log of at least <see cref="RewindFrames"/> frames, the writer copies the few frames committed since
/// itself, before its next transaction: the log then rewinds (and is truncated back to <see cref="RewindFrames"/>).
/// That costs one short checkpoint (a few pages and one sync of the database file) per <see cref="RewindFrames"/>
/// frames: 4,000 by default (16 MB at 4 KiB pages, four times SQLite's own threshold), so that it touches well under
/// 1% of commits and stays out of the 99th percentile. Should the background fall behind
/// regardless, the writer checkpoints once the log file passes <see cref="MaxFrames"/> frames (it reads the file's
/// size before each transaction): a bound, not the steady state. (A reader that holds an old snapshot for long keeps
/// any checkpoint from finishing, with or without this class.)
/// </para>
/// </remarks>
internal sealed class SqliteCheckpointer : IDisposable
{
    private const string PassiveCheckpoint = "PRAGMA wal_checkpoint(PASSIVE)";

    /// <summary>Every frame of the log is a page plus this header.</summary>
    private const int WalFrameHeaderBytes = 24;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _nudge = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    /// <summary>Frames in the log after the last background pass, or 0 when it has not caught up (or nothing is due).</summary>
    private long _caughtUpLog;

    private string? _walPath;

    public SqliteCheckpointer(string connectionString, int rewindFrames = 4_000, int maxFrames = 16_000, TimeSpan? minInterval = null)
    {
        // Never create the file: should the ledger vanish, a checkpoint must not put an empty one in its place (the
        // store's file guard reports the loss; an empty file there would read as a replaced ledger instead). Not
        // pooled: disposed, the connection is closed, so that closing the store leaves no connection to the file.
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString();
        RewindFrames = rewindFrames;
        MaxFrames = maxFrames;
        MinInterval = minInterval ?? TimeSpan.FromMilliseconds(10);
        _thread = new Thread(Run) { IsBackground = true, Name = "Gravity.Usage SQLite checkpoint" };
        _thread.Start();
    }

    /// <summary>Gets the log size, in frames, from which the writer finishes a caught-up checkpoint so the log rewinds.</summary>
    public int RewindFrames { get; }

    /// <summary>Gets the log size, in frames, at which the writer checkpoints whatever the background has done.</summary>
    public int MaxFrames { get; }

    /// <summary>Gets the least time between two background passes: each one syncs the database file.</summary>
    public TimeSpan MinInterval { get; }

    /// <summary>Gets how many checkpoints the writer ran itself (to rewind the log or to bound it); for tests.</summary>
    public int WriterCheckpoints { get; private set; }

    /// <summary>Gets the size of the log file beyond which the writer checkpoints itself before its next transaction.</summary>
    public long MaxBytes { get; private set; }

    /// <summary>
    /// Takes over from SQLite's own checkpoint on the (newly opened) write connection: turns it off there, and has a
    /// rewound log truncated back to <see cref="RewindFrames"/>, so that the log file's size tells how far it grew
    /// since it last rewound.
    /// </summary>
    public void Attach(SqliteConnection writeConnection)
    {
        using var command = writeConnection.CreateCommand();
        command.CommandText = "PRAGMA page_size";
        var frameBytes = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) + WalFrameHeaderBytes;
        MaxBytes = MaxFrames * frameBytes;
        command.CommandText = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {RewindFrames * frameBytes}");
        command.ExecuteNonQuery();
        _walPath = writeConnection.DataSource + "-wal";
    }

    /// <summary>Called on the write connection between transactions: finishes a caught-up pass, or bounds the log.</summary>
    public void BeforeWrite(SqliteConnection writeConnection)
    {
        if (Volatile.Read(ref _caughtUpLog) < RewindFrames && WalLength() <= MaxBytes)
        {
            return;
        }

        Volatile.Write(ref _caughtUpLog, 0);
        WriterCheckpoints++;
        Checkpoint(writeConnection);
    }

    /// <summary>Called after a write committed: asks for a background pass (cheap; passes are spaced by <see cref="MinInterval"/>).</summary>
    public void Committed()
    {
        if (_nudge.CurrentCount == 0)
        {
            try
            {
                _nudge.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another commit nudged first: one pass serves both.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
        _nudge.Dispose();
    }

    /// <summary>The log file's size: a stat per write, next to nothing beside its fsync.</summary>
    private long WalLength()
    {
        try
        {
            return _walPath is null ? 0 : new FileInfo(_walPath).Length;
        }
        catch (IOException)
        {
            return 0; // No log file (yet): nothing to bound.
        }
    }

    /// <summary>Runs a PASSIVE checkpoint; returns the frames in the log and how many of them are in the database file.</summary>
    private static (long Log, long Checkpointed) Checkpoint(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = PassiveCheckpoint;
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(1), reader.GetInt64(2)) : (0, 0);
    }

    private void Run()
    {
        SqliteConnection? connection = null;
        try
        {
            while (true)
            {
                _nudge.Wait(_stop.Token);
                try
                {
                    if (connection is null)
                    {
                        connection = new SqliteConnection(_connectionString);
                        connection.Open();
                        using var pragma = connection.CreateCommand();
                        pragma.CommandText = "PRAGMA synchronous = FULL";
                        pragma.ExecuteNonQuery();
                    }

                    var (log, checkpointed) = Checkpoint(connection);
                    Volatile.Write(ref _caughtUpLog, log > 0 && checkpointed == log ? log : 0);
                }
                catch (SqliteException)
                {
                    // Busy or failing disk: the writer's own bound still holds; try again on the next nudge, afresh.
                    connection?.Dispose();
                    connection = null;
                }

                _stop.Token.WaitHandle.WaitOne(MinInterval);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
        finally
        {
            connection?.Dispose();
        }
    }
}
