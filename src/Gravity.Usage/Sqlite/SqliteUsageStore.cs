using Dapper;
using Gravity.Usage.Internal;
using Gravity.Usage.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Sqlite;

/// <summary>
/// The embedded ledger: one SQLite file in write-ahead-log mode with <c>synchronous=FULL</c>, so a committed batch
/// survives a crash or power loss. One file serves one process; use PostgreSQL when several instances share a ledger.
/// </summary>
/// <remarks>
/// Writes go through one dedicated connection, one batch at a time (SQLite has a single writer anyway); reads use
/// pooled connections and run beside writes. Checkpoints run in the background on a connection of their own
/// and thread of their own, so a batch does not wait behind one, and the write-ahead log stays bounded. The schema is installed lazily on first use unless
/// <see cref="SqliteUsageStoreOptions.PrepareSchemaIfNecessary"/> is off.
/// </remarks>
public sealed partial class SqliteUsageStore : IUsageStore, IUsageReportStore, IUsageAccountStore, IAsyncDisposable, IDisposable, IBatchFailureClassifier
{
    private readonly string _connectionString;
    private readonly string _prefix;
    private readonly bool _prepareSchema;
    private readonly SqliteQueries _queries;
    private readonly SqliteReportQueries _reportQueries;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _bucketSize;
    private readonly SchemaGate _schema = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly LedgerFileGuard? _fileGuard;
    private readonly ILogger _logger;
    private readonly SqliteReadSessions _reads;
    private SqliteBatchWriter? _writer;
    private SqliteCheckpointer? _checkpointer;
    private string? _fileLost;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="SqliteUsageStore"/> class. Does no I/O.</summary>
    /// <param name="options">Where the file is and how the schema is managed; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock that stamps schema installs and account changes; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="bucketSize">
    /// The meter's <see cref="UsageBillingOptions.BucketSize"/> (one hour when <see langword="null"/>): when an account's
    /// plan changes, it tells which buckets ended before the account became billable.
    /// </param>
    /// <param name="logger">Where the store reports a ledger file that vanished; nothing is logged when <see langword="null"/>.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public SqliteUsageStore(SqliteUsageStoreOptions options, TimeProvider? timeProvider = null, TimeSpan? bucketSize = null, ILogger<SqliteUsageStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new SqliteUsageStoreOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SqliteUsageStoreOptions), validation.Failures);
        }

        _connectionString = new SqliteConnectionStringBuilder(options.ConnectionString)
        {
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
        _prefix = options.TablePrefix;
        _prepareSchema = options.PrepareSchemaIfNecessary;
        _queries = new SqliteQueries(_prefix);
        _reportQueries = new SqliteReportQueries(_prefix);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _bucketSize = bucketSize ?? new UsageBillingOptions().BucketSize;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_bucketSize, TimeSpan.Zero, nameof(bucketSize));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _reads = new SqliteReadSessions(_connectionString);

        // A file: URI is left to SQLite to resolve; a plain path is watched (relative paths resolve as SQLite does).
        var dataSource = new SqliteConnectionStringBuilder(_connectionString).DataSource;
        _fileGuard = dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? null : new LedgerFileGuard(Path.GetFullPath(dataSource));
    }

    /// <summary>Gets the schema version this library installs and expects.</summary>
    public static int SchemaVersion => SqliteSchema.LatestVersion;

    /// <summary>
    /// Gets the SQL that creates the whole schema, for applying by hand (<c>sqlite3 usage.db &lt; install.sql</c>) when
    /// <see cref="SqliteUsageStoreOptions.PrepareSchemaIfNecessary"/> is off. Running it again changes nothing.
    /// </summary>
    /// <param name="tablePrefix">The same <see cref="SqliteUsageStoreOptions.TablePrefix"/> the store uses.</param>
    /// <returns>The script text.</returns>
    /// <exception cref="ArgumentException">The prefix is not a safe identifier.</exception>
    public static string GetInstallScript(string tablePrefix = "")
    {
        SqlIdentifier.ThrowIfUnsafe(tablePrefix, allowEmpty: true, nameof(tablePrefix));
        return SqliteSchema.GetInstallScript(tablePrefix);
    }

    /// <inheritdoc />
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _schema.EnsureAsync(
            _ =>
            {
                if (_prepareSchema && _fileGuard is not null)
                {
                    // SQLite creates the file but not its directory (the default one is under the user's data folder).
                    Directory.CreateDirectory(Path.GetDirectoryName(_fileGuard.Path)!);
                }

                using var connection = new SqliteConnection(_connectionString);
                connection.Open();
                if (_prepareSchema)
                {
                    SqliteSchema.Install(connection, _queries, _prefix, _timeProvider);
                }
                else
                {
                    SqliteSchema.Verify(connection, _queries);
                }

                LogLedgerOpened(_logger, _fileGuard?.Path ?? "(SQLite URI)");

                return Task.CompletedTask;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(increments);

        // The meter checks the same rules; checked again here because SQLite would store an unpaired surrogate as U+FFFD,
        // merging different accounts or keys, whoever the caller is.
        if (UsageRules.DescribeInvalidIncrement(increments) is { } problem)
        {
            throw new UsageInputException(problem, nameof(increments));
        }

        return await RunWriteAsync(writer => writer.Write(increments), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    bool IBatchFailureClassifier.IsCausedByContent(Exception exception) =>
        exception is ArgumentException
        // SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_RANGE: a value was refused, the disk and file are fine.
        || exception is SqliteException { SqliteErrorCode: 18 or 19 or 20 or 25 };

    /// <inheritdoc />
    public async Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default)
    {
        // The same rule as on writes: an account that could never be stored is refused, not sent to the database.
        UsageRules.ValidateAccount(account);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var session = _reads.Rent();
        try
        {
            IReadOnlyList<MeterUsage> totals;

            // A deferred transaction reads one snapshot of the WAL: the counters and the reports agree.
            using (var transaction = session.Connection.BeginTransaction(deferred: true))
            {
                var queries = new SqliteTotalsQueries(
                    session, transaction, meter is null ? _queries.Totals : _queries.MeterTotals, _queries.Gauges, account, periodStart, periodEnd, meter);
                totals = await UsageTotals.ReadAsync(queries, account, periodStart, cancellationToken).ConfigureAwait(false);
                transaction.Commit();
            }

            _reads.Return(session);
            return totals;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateAccount(account);
        ArgumentNullException.ThrowIfNull(meter);
        var rows = await QueryAsync<(long BucketStart, long Quantity, long ReportedQuantity)>(
            _queries.Series,
            UsageReads.PeriodParameters(account, periodStart, periodEnd, meter),
            cancellationToken).ConfigureAwait(false);
        if (rows.Count > 0)
        {
            return UsageReads.ToSeries(rows);
        }

        // No counters: a gauge meter, or none at all.
        using var connection = new SqliteConnection(_connectionString);
        return await UsageTotals.ReadGaugeSeriesAsync(connection, _queries.Gauges, account, periodStart, periodEnd, meter, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for a write in progress, then closes the store's connections. Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when the store is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            ResetWriter();
            _reads.Dispose();
            _checkpointer?.Dispose();
            _checkpointer = null;
        }
        finally
        {
            _writeLock.Release();
        }

        // Pooled connections keep the file open; release them so the file can be moved or deleted.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>Waits for a write in progress, then closes the store's connections.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Runs a write on the store's one write connection, one at a time: SQLite has a single writer, and queueing
    /// here is cheaper than waiting on its busy handler.
    /// </summary>
    private Task<T> RunWriteAsync<T>(Func<SqliteBatchWriter, T> write, CancellationToken cancellationToken) =>
        RunWriteCoreAsync(writer => Task.FromResult(write(writer)), cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in one immediate transaction on the write connection (see
    /// <see cref="RunWriteAsync{T}"/>) and commits it.
    /// </summary>
    private Task<T> RunWriteTransactionAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunWriteCoreAsync(
            async writer =>
            {
                using var transaction = writer.Connection.BeginTransaction(deferred: false);
                var result = await work(writer.Connection, transaction).ConfigureAwait(false);
                transaction.Commit();
                return result;
            },
            cancellationToken);

    private async Task<T> RunWriteCoreAsync<T>(Func<SqliteBatchWriter, Task<T>> write, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            if (_fileLost is { } lost)
            {
                throw new UsageLedgerFileLostException(lost);
            }

            var opened = _writer is null;
            var writer = _writer ??= SqliteBatchWriter.Open(_connectionString, _queries);
            try
            {
                if (opened)
                {
                    if (_fileGuard?.CheckOpened() is { } replaced)
                    {
                        throw FileLost(replaced);
                    }

                    _checkpointer ??= new SqliteCheckpointer(_connectionString);
                    _checkpointer.Attach(writer.Connection);
                }

                _checkpointer!.BeforeWrite(writer.Connection);
                var result = await write(writer).ConfigureAwait(false);
                _checkpointer.Committed();

                // Committed, but to the file at the path? Checked before anyone is told, so nothing is acknowledged that a restart would lose.
                if (_fileGuard?.CheckCommitted() is { } vanished)
                {
                    throw FileLost(vanished);
                }

                return result;
            }
            catch
            {
                // After a failed commit (disk full, I/O error) the connection may be unusable: start afresh next time.
                ResetWriter();
                throw;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Gets the background checkpointer, once the first write opened the write connection; for tests.</summary>
    internal SqliteCheckpointer? Checkpointer => _checkpointer;

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object parameters, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        using var connection = new SqliteConnection(_connectionString);
        var rows = await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    private void ResetWriter()
    {
        _writer?.Dispose();
        _writer = null;
        _fileGuard?.ForgetLog();
    }

    /// <summary>Refuses every further write from now on, and says so once in the log.</summary>
    private UsageLedgerFileLostException FileLost(string problem)
    {
        _fileLost = problem;
        _reads.CloseIdle();
        LogFileLost(_logger, problem);
        return new UsageLedgerFileLostException(problem);
    }

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "Usage ledger: {Path}")]
    private static partial void LogLedgerOpened(ILogger logger, string path);

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "{Problem}")]
    private static partial void LogFileLost(ILogger logger, string problem);
}
