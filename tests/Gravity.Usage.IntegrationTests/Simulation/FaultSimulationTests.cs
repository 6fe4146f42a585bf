using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Gravity.Usage.IntegrationTests.Contract;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// The seeded fault simulation (issue 8, item 6): seeds 1..N each run a schedule of increments, late usage, plan
/// changes, concurrent report runs, process crashes and Stripe faults against real SQLite files, the PostgreSQL
/// server of the test run (every tenth seed) and the Stripe stand-in, and check the invariants after a drain. A failing
/// seed is printed with its schedule and the command that reruns it alone.
/// </summary>
/// <remarks>
/// <c>GRAVITY_USAGE_SIM_SEEDS=N</c> sets how many seeds (default 1,000), <c>GRAVITY_USAGE_SIM_SEED=S</c> runs one, and
/// <c>GRAVITY_USAGE_SIM_SOAK=M</c> runs larger schedules for M minutes (see <see cref="SimulationSettings"/>).
/// </remarks>
public sealed class FaultSimulationTests
{
    /// <summary>A seed that takes longer than this hangs: it fails instead of stalling the suite.</summary>
    private static readonly TimeSpan SeedTimeout = TimeSpan.FromMinutes(2);

    private const int FailuresPrintedInFull = 5;

    [Test]
    public async Task FaultSimulation_SeededSchedules_KeepEveryInvariant()
    {
        var settings = SimulationSettings.FromEnvironment();
        var postgres = await PostgreSqlAvailableAsync();
        var directory = Directory.CreateTempSubdirectory("gravity-usage-sim-").FullName;
        var results = new ConcurrentBag<SeedResult>();
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await Parallel.ForEachAsync(
                Seeds(settings),
                new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism },
                async (seed, _) => results.Add(await RunSeedAsync(ScheduleFor(seed, postgres), directory)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        var elapsed = TimeProvider.System.GetElapsedTime(started);
        var ordered = results.OrderBy(r => r.Schedule.Seed).ToList();
        TestContext.Out.WriteLine(Summary(settings, ordered, elapsed, postgres));
        var failed = ordered.Where(r => !r.Passed).ToList();
        if (failed.Count > 0)
        {
            Assert.Fail(FailureReport(failed));
        }
    }

    /// <summary>One seed's schedule, on SQLite instead of PostgreSQL when no server is available outside CI.</summary>
    public static SimulationSchedule ScheduleFor(int seed, bool postgres)
    {
        var schedule = ScheduleGenerator.Create(seed);
        return schedule.Backend == SimBackend.PostgreSql && !postgres ? schedule with { Backend = SimBackend.Sqlite } : schedule;
    }

    private static async Task<SeedResult> RunSeedAsync(SimulationSchedule schedule, string directory)
    {
        try
        {
            return await SimulationRun.RunAsync(schedule, directory).WaitAsync(SeedTimeout);
        }
        catch (TimeoutException)
        {
            var result = new SeedResult(schedule);
            result.Violations.Add($"[harness] the seed did not finish within {SeedTimeout.TotalMinutes} minutes");
            return result;
        }
    }

    private static IEnumerable<int> Seeds(SimulationSettings settings)
    {
        if (settings.Soak is { } soak)
        {
            var until = TimeProvider.System.GetTimestamp() + (long)(soak.TotalSeconds * TimeProvider.System.TimestampFrequency);
            for (var seed = settings.FirstSeed; TimeProvider.System.GetTimestamp() < until; seed++)
            {
                yield return seed;
            }

            yield break;
        }

        for (var seed = settings.FirstSeed; seed <= settings.LastSeed; seed++)
        {
            yield return seed;
        }
    }

    /// <summary>Whether PostgreSQL seeds can run: a missing server fails the test under CI=true (never skips), and elsewhere moves them to SQLite.</summary>
    private static async Task<bool> PostgreSqlAvailableAsync()
    {
        try
        {
            await PostgreSqlServer.RequireAsync();
            return true;
        }
        catch (IgnoreException ex)
        {
            TestContext.Out.WriteLine($"PostgreSQL seeds run on SQLite: {ex.Message}");
            return false;
        }
    }

    private static string Summary(SimulationSettings settings, List<SeedResult> results, TimeSpan elapsed, bool postgres)
    {
        var events = Merge(results.Select(r => r.Events));
        var checks = Merge(results.Select(r => r.Checks));
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Fault simulation ({settings.Describe()}): {results.Count} seeds in {elapsed.TotalSeconds:0.0} s, ");
        text.Append(CultureInfo.InvariantCulture, $"{results.Count(r => r.Schedule.Backend == SimBackend.PostgreSql)} on PostgreSQL{(postgres ? string.Empty : " (unavailable)")}, ");
        text.Append(CultureInfo.InvariantCulture, $"{results.Count(r => r.Schedule.Loopback)} over loopback HTTP, {results.Count(r => !r.Passed)} failed; ");
        text.Append(CultureInfo.InvariantCulture, $"slowest seed {(results.Count > 0 ? results.Max(r => r.Elapsed.TotalSeconds) : 0):0.0} s").AppendLine();
        text.Append("Faults and events: ").AppendJoin(", ", events.Select(e => $"{e.Key} {e.Value}")).AppendLine();
        text.Append("Invariants checked: ").AppendJoin(", ", checks.Select(c => $"{c.Key} x{c.Value}"));
        return text.ToString();
    }

    private static string FailureReport(List<SeedResult> failed)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{failed.Count} seeds violated invariants: {string.Join(", ", failed.Select(f => f.Schedule.Seed))}").AppendLine();
        foreach (var (result, index) in failed.Select((r, i) => (r, i)))
        {
            text.AppendLine();
            text.Append(CultureInfo.InvariantCulture, $"Rerun: {SimulationSettings.SeedVariable}={result.Schedule.Seed} ./test.sh --filter FullyQualifiedName~FaultSimulation").AppendLine();
            text.Append(index < FailuresPrintedInFull ? result.Schedule.Describe() : result.Schedule.Header + Environment.NewLine);
            foreach (var violation in result.Violations.Take(10))
            {
                text.Append("  ! ").AppendLine(violation);
            }

            if (result.Violations.Count > 10)
            {
                text.Append(CultureInfo.InvariantCulture, $"  ! ... and {result.Violations.Count - 10} more").AppendLine();
            }

            text.Append("  events: ").AppendJoin(", ", result.Events.Select(e => $"{e.Key} {e.Value}")).AppendLine();
        }

        return text.ToString();
    }

    private static SortedDictionary<string, long> Merge(IEnumerable<SortedDictionary<string, long>> counts)
    {
        var merged = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in counts.SelectMany(c => c))
        {
            merged[key] = merged.GetValueOrDefault(key) + value;
        }

        return merged;
    }
}
