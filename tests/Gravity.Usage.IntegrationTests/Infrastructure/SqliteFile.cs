using Microsoft.Data.Sqlite;

namespace Gravity.Usage.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh SQLite database file under the temp folder, plus raw access to it so tests can check what was really
/// written. Raw connections are not pooled, so they never keep the file open.
/// </summary>
public sealed class SqliteFile
{
    public SqliteFile()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gravity-usage-{Guid.NewGuid():N}.db");
    }

    public string Path { get; }

    public string ConnectionString => $"Data Source={Path}";

    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public void Execute(string sql)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public object? ExecuteScalar(string sql)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>Reads every row of a query, each as an array of its column values in order.</summary>
    public IReadOnlyList<object[]> Query(string sql)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object[]>();
        while (reader.Read())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The names of the tables in the file, sorted.</summary>
    public IReadOnlyList<string> TableNames() =>
        Query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").Select(r => (string)r[0]).ToList();

    /// <summary>Every counter row as text, sorted, to compare the ledger before and after an operation.</summary>
    public IReadOnlyList<string> CounterRows(string tablePrefix = "") =>
        Query($"SELECT account, meter, bucket_start, quantity, reported_quantity FROM {tablePrefix}usage_counter ORDER BY account, meter, bucket_start")
            .Select(r => string.Join(" | ", r))
            .ToList();

    /// <summary>
    /// Every stored idempotency key, as its 16-byte hash in hexadecimal, sorted (schema version 8 stores no texts):
    /// compare with <see cref="Hashed"/> of the "account | meter | key" texts expected.
    /// </summary>
    public IReadOnlyList<string> IdempotencyKeys(string tablePrefix = "") =>
        Query($"SELECT hex(key_hash) FROM {tablePrefix}usage_idempotency_hash ORDER BY 1")
            .Select(r => (string)r[0])
            .ToList();

    /// <summary>The stored form of keys given as "account | meter | key", sorted as <see cref="IdempotencyKeys"/> returns them.</summary>
    public static IReadOnlyList<string> Hashed(params string[] keys) =>
        keys.Select(k => k.Split(" | "))
            .Select(p => Convert.ToHexString(IdempotencyKeyHash.Compute(p[0], p[1], p[2])))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Deletes the database and its write-ahead log and shared-memory files.</summary>
    public void Delete()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm", "-journal" })
        {
            File.Delete(Path + suffix);
        }
    }
}
