using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Gravity.Usage.Sqlite;

/// <summary>
/// One statement of the write connection's hot path, prepared once on SQLite's own handle and run by binding values
/// from spans. <see cref="SqliteCommand.ExecuteNonQuery"/> costs a data reader, a parameter binder, an enumerator and
/// boxed values on every run (about 600 bytes and some microseconds measured per keyed increment); this costs none.
/// </summary>
/// <remarks>
/// It runs inside whatever transaction the connection has open (the batch's). Errors surface as the
/// <see cref="SqliteException"/> that <see cref="SqliteCommand"/> would throw, with the same SQLite error code, so a
/// refused value is still told from a failed disk. Like <see cref="SqliteCommand"/>, a step that finds the database busy
/// or a table locked (another process writing, a shared-cache reader) is tried again until the connection's
/// <see cref="SqliteConnection.DefaultTimeout"/>: SQLite undoes a refused statement whole, so running it again is safe.
/// </remarks>
internal sealed class SqliteRawStatement : IDisposable
{
    /// <summary>How long a busy step waits before it is tried again: short, as the write lock is held for a commit only.</summary>
    private static readonly TimeSpan s_busyPause = TimeSpan.FromMilliseconds(5);

    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;

    public SqliteRawStatement(SqliteConnection connection, string sql)
    {
        _connection = connection;
        var rc = raw.sqlite3_prepare_v3(connection.Handle, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement, out var tail);
        SqliteException.ThrowExceptionForRC(rc, connection.Handle);
        if (!string.IsNullOrWhiteSpace(tail))
        {
            _statement.Dispose();
            throw new ArgumentException("A raw statement holds one SQL statement.", nameof(sql));
        }
    }

    /// <summary>Gets the 1-based index of a named parameter.</summary>
    public int IndexOf(string name)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        return index > 0 ? index : throw new ArgumentException($"The statement has no parameter {name}.", nameof(name));
    }

    public void Bind(int index, ReadOnlySpan<byte> blob) => Check(raw.sqlite3_bind_blob(_statement, index, blob));

    /// <summary>Binds UTF-8 text.</summary>
    public void BindText(int index, ReadOnlySpan<byte> utf8) => Check(raw.sqlite3_bind_text(_statement, index, utf8));

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void BindNull(int index) => Check(raw.sqlite3_bind_null(_statement, index));

    /// <summary>Runs the statement to its end and returns the rows it changed; the bindings are cleared after.</summary>
    public int Execute()
    {
        long busySince = 0; // read only once the database is busy: the common step pays no clock read
        try
        {
            while (true)
            {
                int rc;
                while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
                {
                }

                if (rc == raw.SQLITE_DONE)
                {
                    return raw.sqlite3_changes(_connection.Handle);
                }

                // The error of the step, as sqlite3_reset reports it (its result code is the step's).
                var error = raw.sqlite3_reset(_statement);
                if (IsBusy(error == raw.SQLITE_OK ? rc : error))
                {
                    busySince = busySince == 0 ? Stopwatch.GetTimestamp() : busySince;
                    if (Stopwatch.GetElapsedTime(busySince) < TimeSpan.FromSeconds(_connection.DefaultTimeout))
                    {
                        Thread.Sleep(s_busyPause);
                        continue;
                    }
                }

                SqliteException.ThrowExceptionForRC(error, _connection.Handle);
                SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();

    /// <summary>Whether a result code (plain or extended) says the database was busy or a table locked.</summary>
    private static bool IsBusy(int rc) => (rc & 0xFF) is raw.SQLITE_BUSY or raw.SQLITE_LOCKED;

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
    }
}
