using Dapper;
using Gravity.Usage.Internal;
using Gravity.Usage.Sql;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>
/// The shared ledger: tables in one PostgreSQL schema that any number of application instances write, read and
/// report from at once. A batch's task completes only after its transaction has committed (with PostgreSQL's default
/// <c>synchronous_commit</c>, once the commit is flushed to the write-ahead log).
/// </summary>
/// <remarks>
/// Every operation borrows a pooled connection from an <see cref="NpgsqlDataSource"/>. A batch of increments costs a
/// fixed number of statements whatever its size (arrays, not one statement per increment). The schema is installed
/// lazily on first use unless <see cref="PostgreSqlUsageStoreOptions.PrepareSchemaIfNecessary"/> is off.
/// </remarks>
public sealed partial class PostgreSqlUsageStore : IUsageStore, IUsageReportStore, IUsageAccountStore, IAsyncDisposable, IDisposable, IBatchFailureClassifier, IConcurrentBatchStore
{
    /// <summary>PostgreSQL's code for a transaction it rolled back to break a deadlock; the whole transaction may be retried.</summary>
    private const string DeadlockDetected = "40P01";

    private const int MaxDeadlockRetries = 5;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly bool _prepareSchema;
    private readonly PostgreSqlQueries _queries;
    private readonly PostgreSqlReportQueries _reportQueries;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _bucketSize;
    private readonly TimeSpan _commitOutcomeTimeout;
    private readonly int _maxConcurrentBatches;
    private readonly SchemaGate _schema = new();
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlUsageStore"/> class. Does no I/O.</summary>
    /// <param name="options">Which database and schema, and how the schema is managed; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock that stamps schema installs and account changes; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="bucketSize">
    /// The meter's <see cref="UsageBillingOptions.BucketSize"/> (one hour when <see langword="null"/>): when an account's
    /// plan changes, it tells which buckets ended before the account became billable.
    /// </param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public PostgreSqlUsageStore(PostgreSqlUsageStoreOptions options, TimeProvider? timeProvider = null, TimeSpan? bucketSize = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new PostgreSqlUsageStoreOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(PostgreSqlUsageStoreOptions), validation.Failures);
        }

        _bucketSize = bucketSize ?? new UsageBillingOptions().BucketSize;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_bucketSize, TimeSpan.Zero, nameof(bucketSize));
        _ownsDataSource = options.DataSource is null;
        _dataSource = options.DataSource ?? NpgsqlDataSource.Create(options.ConnectionString!);
        _prepareSchema = options.PrepareSchemaIfNecessary;
        _commitOutcomeTimeout = options.CommitOutcomeTimeout;
        _maxConcurrentBatches = options.MaxConcurrentBatches;
        _queries = new PostgreSqlQueries(options.SchemaName);
        _reportQueries = new PostgreSqlReportQueries(options.SchemaName);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the schema version this library installs and expects.</summary>
    public static int SchemaVersion => PostgreSqlSchema.LatestVersion;

    /// <summary>
    /// Gets the SQL that creates the whole schema, for applying by hand (<c>psql -f install.sql</c>) when
    /// <see cref="PostgreSqlUsageStoreOptions.PrepareSchemaIfNecessary"/> is off. Running it again changes nothing.
    /// </summary>
    /// <param name="schemaName">The same <see cref="PostgreSqlUsageStoreOptions.SchemaName"/> the store uses.</param>
    /// <returns>The script text.</returns>
    /// <exception cref="ArgumentException">The schema name is not a safe identifier.</exception>
    public static string GetInstallScript(string schemaName = PostgreSqlUsageStoreOptions.DefaultSchemaName)
    {
        SqlIdentifier.ThrowIfUnsafe(schemaName, allowEmpty: false, nameof(schemaName));
        return PostgreSqlSchema.GetInstallScript(schemaName);
    }

    /// <inheritdoc />
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _schema.EnsureAsync(
            async ct =>
            {
                var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    if (_prepareSchema)
                    {
                        await PostgreSqlSchema.InstallAsync(connection, _queries, _timeProvider, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        await PostgreSqlSchema.VerifyAsync(connection, _queries, ct).ConfigureAwait(false);
                    }
                }
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default)
    {
        // The same rule as on writes: an account that could never be stored is refused, not sent to the database.
        ThrowIfInvalidAccount(account);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // One snapshot for the counters and the reports, so that usage closed meanwhile is counted once.
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                return await UsageTotals.ReadAsync(
                    connection, transaction, meter is null ? _queries.Totals : _queries.MeterTotals, _queries.Gauges, account, periodStart, periodEnd, meter, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default)
    {
        ThrowIfInvalidAccount(account);
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
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await UsageTotals.ReadGaugeSeriesAsync(connection, _queries.Gauges, account, periodStart, periodEnd, meter, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        return await InTransactionAsync(
            (connection, transaction) => PostgreSqlKeyPruning.PruneAsync(connection, transaction, _queries, recordedBefore, maxKeys, cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the store; the data source is disposed only when the store built it. Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when the store is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the store; the data source is disposed only when the store built it.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction on a pooled connection and commits it. When PostgreSQL breaks a
    /// deadlock by rolling this transaction back, nothing of it was applied, so it is run again from the start.
    /// </summary>
    private async Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    T result;
                    try
                    {
                        result = await work(connection, transaction).ConfigureAwait(false);
                    }
                    catch (PostgresException ex) when (ex.SqlState == DeadlockDetected && attempt < MaxDeadlockRetries)
                    {
                        continue;
                    }

                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return result;
                }
            }
        }
    }

    private static void ThrowIfInvalidAccount(string account)
    {
        if (UsageInput.CheckAccount(account) is { } problem)
        {
            throw problem;
        }
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object parameters, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var rows = await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.AsList();
        }
    }
}
