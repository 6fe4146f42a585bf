using System.Data.Common;

namespace Gravity.Usage.Sql;

/// <summary>
/// A store's query of counter totals per meter over a period (columns: meter, sum of quantity, sum of reported
/// quantity), and, where plain SQL sums can overflow, the exact query to run instead when they do.
/// </summary>
/// <param name="Sums">The query with plain sums: one pass over the period's counters, the cheap common case.</param>
/// <param name="ExactSums">
/// The same totals in split sums (<see cref="UsageReads.SplitSums"/>), for a store whose SUM fails past
/// <see cref="long.MaxValue"/> (SQLite); <see langword="null"/> where SUM cannot overflow (PostgreSQL's is numeric).
/// </param>
/// <param name="IsSumOverflow">Tells the store's overflow error of <paramref name="Sums"/> from any other failure.</param>
internal sealed record CounterTotalsSql(string Sums, string? ExactSums = null, Func<DbException, bool>? IsSumOverflow = null);
