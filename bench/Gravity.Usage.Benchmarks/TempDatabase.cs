using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Benchmarks;

/// <summary>A fresh SQLite file under the temp directory, deleted with its WAL and shared-memory files on dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    private TempDatabase(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>The connection string the library's store would build for the file: pooled, WAL set by the schema.</summary>
    public string ConnectionString => "Data Source=" + Path;

    public static TempDatabase Create() =>
        new(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gravity-usage-bench-{Guid.NewGuid():N}.db"));

    /// <summary>Deletes a database file and the files SQLite keeps beside it.</summary>
    public static void Delete(string path)
    {
        // Pooled connections keep the file open.
        SqliteConnection.ClearAllPools();
        foreach (var suffix in (string[])["", "-wal", "-shm", "-journal"])
        {
            File.Delete(path + suffix);
        }
    }

    public void Dispose() => Delete(Path);
}
