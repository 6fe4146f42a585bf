using System.Diagnostics;
using System.Globalization;
using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Benchmarks;

/// <summary>
/// The big file the read benchmark queries: every account has one hourly counter on the default meter for each of
/// <see cref="BucketsPerAccount"/> hours from <see cref="Epoch"/>. Built once and cached in the temp directory,
/// because it is a fixture, not the thing measured.
/// </summary>
internal sealed class ReadFixture
{
    /// <summary>Bump when the contents change, so that a stale cached file is never reused.</summary>
    private const int Version = 1;

    private const long SecondsPerBucket = 3_600;

    private ReadFixture(string path, int accounts, int bucketsPerAccount)
    {
        Path = path;
        Accounts = accounts;
        BucketsPerAccount = bucketsPerAccount;
    }

    public static DateTimeOffset Epoch { get; } = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public string Path { get; }

    public int Accounts { get; }

    public int BucketsPerAccount { get; }

    public long Rows => (long)Accounts * BucketsPerAccount;

    /// <summary>Gets the calendar months the file covers completely.</summary>
    public IReadOnlyList<DateTimeOffset> FullMonths
    {
        get
        {
            var end = Epoch.AddHours(BucketsPerAccount);
            var months = new List<DateTimeOffset>();
            for (var month = Epoch; month.AddMonths(1) <= end; month = month.AddMonths(1))
            {
                months.Add(month);
            }

            return months;
        }
    }

    public static string AccountName(int index) => "acct_" + index.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The generated quantity of one counter: varies with account and hour so that a wrong range shows.</summary>
    public static long Quantity(int account, long bucket) => 1 + ((account * 31) + bucket) % 97;

    /// <summary>What GetAsync must return for an account over [from, to), computed without the database.</summary>
    public long ExpectedSum(int account, DateTimeOffset from, DateTimeOffset to)
    {
        var first = Math.Max(0, (long)Math.Ceiling((from - Epoch).TotalHours));
        var last = Math.Min(BucketsPerAccount, (long)Math.Ceiling((to - Epoch).TotalHours));
        long sum = 0;
        for (var bucket = first; bucket < last; bucket++)
        {
            sum += Quantity(account, bucket);
        }

        return sum;
    }

    /// <summary>Reuses the cached file when it holds the expected row count, otherwise builds it.</summary>
    public static async Task<ReadFixture> OpenOrBuildAsync(int accounts, int bucketsPerAccount, TextWriter log)
    {
        var rows = (long)accounts * bucketsPerAccount;
        var label = rows % 1_000_000 == 0 ? (rows / 1_000_000).ToString(CultureInfo.InvariantCulture) + "m" : rows.ToString(CultureInfo.InvariantCulture);
        // The schema version is in the name: a file upgraded by a newer library would be refused by an older one.
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"gravity-usage-bench-{label}-v{Version}-schema{Sqlite.SqliteUsageStore.SchemaVersion}.db"));
        var fixture = new ReadFixture(path, accounts, bucketsPerAccount);

        var clock = Stopwatch.StartNew();
        if (File.Exists(path))
        {
            var found = CountRows(path);
            if (found == rows)
            {
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"read file: reusing {path} ({rows:N0} rows, count checked in {clock.Elapsed.TotalSeconds:0.0} s)"));
                return fixture;
            }

            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"read file: {path} holds {found:N0} rows instead of {rows:N0}; rebuilding it"));
            TempDatabase.Delete(path);
        }

        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"read file: building {path} ({accounts:N0} accounts x {bucketsPerAccount:N0} hourly buckets) ..."));
        clock.Restart();
        await fixture.BuildAsync();
        var size = new FileInfo(path).Length;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"read file: built {rows:N0} rows in {clock.Elapsed.TotalSeconds:0.0} s ({size / (1024.0 * 1024.0):N0} MiB); kept for later runs"));
        return fixture;
    }

    private static long CountRows(string path)
    {
        try
        {
            using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM usage_counter";
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        catch (SqliteException)
        {
            return -1;
        }
    }

    /// <summary>
    /// Builds the file under a temporary name and renames it when complete, so an interrupted build is never reused.
    /// </summary>
    private async Task BuildAsync()
    {
        var building = Path + ".building";
        TempDatabase.Delete(building);

        // The schema comes from the library, exactly as a store would install it.
        await using (var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = "Data Source=" + building }))
        {
            await store.EnsureSchemaAsync();
        }

        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection($"Data Source={building};Pooling=False"))
        {
            connection.Open();

            // Generation only: no journal and no fsync. The measured store reopens the file with its own settings.
            Execute(connection, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144");

            // One prepared INSERT per account writes its counters in key order (account, bucket_start, meter), so the
            // WITHOUT ROWID table only ever appends; 100 accounts (1 million rows at full size) per transaction.
            using var insert = connection.CreateCommand();
            insert.CommandText = """
                WITH RECURSIVE hour(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM hour WHERE n + 1 < $buckets)
                INSERT INTO usage_counter (account, bucket_start, meter, quantity)
                SELECT $account, $epoch + n * $seconds_per_bucket, $meter, 1 + (($index * 31) + n) % 97 FROM hour
                """;
            var account = insert.Parameters.Add("$account", SqliteType.Text);
            var index = insert.Parameters.Add("$index", SqliteType.Integer);
            insert.Parameters.AddWithValue("$buckets", BucketsPerAccount);
            insert.Parameters.AddWithValue("$epoch", Epoch.ToUnixTimeSeconds());
            insert.Parameters.AddWithValue("$seconds_per_bucket", SecondsPerBucket);
            insert.Parameters.AddWithValue("$meter", UsageBillingOptions.DefaultMeterName);
            insert.Prepare();

            const int AccountsPerTransaction = 100;
            for (var first = 0; first < Accounts; first += AccountsPerTransaction)
            {
                using var transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
                for (var a = first; a < Math.Min(Accounts, first + AccountsPerTransaction); a++)
                {
                    account.Value = AccountName(a);
                    index.Value = a;
                    insert.ExecuteNonQuery();
                }

                transaction.Commit();
            }

            Execute(connection, "PRAGMA journal_mode = WAL");
        }

        File.Move(building, Path, overwrite: true);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
