using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// Derives a schedule from a seed with <see cref="Random"/>(seed): the same seed always gives the same schedule, so a
/// failing seed is rerun by its number alone.
/// </summary>
/// <remarks>
/// Seeds from <see cref="LargeSeedsFrom"/> up get longer schedules with more accounts (the soak's default range), so
/// the size of a run is part of its seed too. Every tenth seed runs on PostgreSQL (two app instances, both
/// incrementing and reporting, and connection drops around COMMIT), a few on loopback HTTP.
/// </remarks>
public static class ScheduleGenerator
{
    public const int LargeSeedsFrom = 1_000_000;

    public static SimulationSchedule Create(int seed)
    {
#pragma warning disable CA5394 // Reproducible pseudo-random schedules are the point; nothing here is security-relevant.
        var random = new Random(seed);
        var large = seed >= LargeSeedsFrom;
        var backend = seed % 10 == 0 ? SimBackend.PostgreSql : SimBackend.Sqlite;
        var loopback = seed % 25 == 7;
        var accounts = random.Next(2, large ? 6 : 4);
        var meters = random.Next(1, 3);
        var billable = Enumerable.Range(0, accounts).Select(_ => random.NextDouble() < 0.7).ToList();
        var retries = random.NextDouble() < 0.1 ? 1 : 0;
        var faults = StripeFaults(random, retries);
        var context = new Context(random, accounts, meters, [.. billable], backend == SimBackend.PostgreSql ? 2 : 1);
        var steps = new List<SimStep>();
        var count = large ? random.Next(30, 81) : random.Next(10, 25);
        for (var i = 0; i < count; i++)
        {
            steps.Add(NextStep(context));
        }

        return new SimulationSchedule(seed, backend, loopback, accounts, meters, billable, retries, faults, steps);
    }

    private static List<StripeFaultPlan> StripeFaults(Random random, int retries)
    {
        (string Label, StripeFault Fault, FaultTiming Timing)[] catalog =
        [
            ("stripe 500 before processing", StripeFault.ServerError(500), FaultTiming.BeforeProcessing),
            ("stripe 503 after processing", StripeFault.ServerError(503, shouldRetry: true), FaultTiming.AfterProcessing),
            ("stripe 500 stored and replayed", StripeFault.ServerError(500), FaultTiming.DuringProcessing),
            ("stripe 429", StripeFault.TooManyRequests(), FaultTiming.BeforeProcessing),
            ("stripe 409", StripeFault.Conflict(), FaultTiming.BeforeProcessing),
            ("stripe timeout before processing", StripeFault.Timeout(), FaultTiming.BeforeProcessing),
            ("stripe timeout after processing", StripeFault.Timeout(), FaultTiming.AfterProcessing),
            ("stripe dropped request", StripeFault.DropConnection(), FaultTiming.BeforeProcessing),
            ("stripe dropped answer", StripeFault.DropConnection(), FaultTiming.AfterProcessing),
        ];
        if (random.NextDouble() < 0.2)
        {
            return [];
        }

        // Retries within a request wait 0.5-5 s of real time, so seeds that use them get fewer faults.
        var maxProbability = retries > 0 ? 0.08 : 0.25;
        return catalog
            .OrderBy(_ => random.Next())
            .Take(random.Next(1, 5))
            .Select(f => new StripeFaultPlan(f.Label, f.Fault, f.Timing, 0.03 + (random.NextDouble() * (maxProbability - 0.03))))
            .ToList();
    }

    private static SimStep NextStep(Context c)
    {
        var roll = c.Random.Next(100);
        return roll switch
        {
            < 30 => new IncrementStep(NewIncrements(c, c.Random.Next(1, 7))),
            < 50 => Advance(c.Random),
            < 66 => new ReportStep(
                c.Random.Next(10) switch { < 6 => 1, < 9 => 2, _ => 3 },
                c.Random.NextDouble() < 0.2 ? c.Random.Next(c.Accounts) : null,
                c.Random.NextDouble() < 0.3 ? NewIncrements(c, c.Random.Next(1, 4)) : []),
            < 70 => new LeaseRaceStep(c.Random.Next(50, 200)),
            < 82 => c.Processes > 1 && c.Random.NextDouble() < 0.4 ? new CommitDropStep(c.Random.NextDouble() < 0.5, c.Random.Next(0, 4)) : Crash(c),
            < 90 => PlanChange(c),
            _ => c.KeyedIds.Count == 0
                ? new IncrementStep(NewIncrements(c, 2))
                : new ResendStep(Enumerable.Range(0, c.Random.Next(1, 4)).Select(_ => c.KeyedIds[c.Random.Next(c.KeyedIds.Count)]).Distinct().ToList()),
        };
    }

    private static List<PlannedIncrement> NewIncrements(Context c, int count)
    {
        var list = new List<PlannedIncrement>();
        for (var i = 0; i < count; i++)
        {
            // Now and then the same keyed increment twice in one batch: the second must be a duplicate.
            if (list.Count > 0 && list[^1].Keyed && c.Random.NextDouble() < 0.15)
            {
                list.Add(list[^1]);
                continue;
            }

            var keyed = c.Random.NextDouble() < 0.6;
            var late = c.Random.NextDouble() < 0.2 ? TimeSpan.FromMinutes(c.Random.Next(10, 48 * 60)) : TimeSpan.Zero;
            var increment = new PlannedIncrement(c.NextId++, c.Random.Next(c.Accounts), c.Random.Next(c.Meters), c.Random.Next(1, 1_000), keyed, late);
            if (keyed)
            {
                c.KeyedIds.Add(increment.Id);
            }

            list.Add(increment);
        }

        return list;
    }

    private static AdvanceStep Advance(Random random) => new(random.Next(100) switch
    {
        < 70 => TimeSpan.FromMinutes(random.Next(1, 61)),
        < 95 => TimeSpan.FromMinutes(random.Next(60, 241)),
        _ => TimeSpan.FromHours(random.Next(5, 13)),
    });

    private static CrashStep Crash(Context c)
    {
        var points = Enum.GetValues<CrashPoint>();
        return new CrashStep(c.Random.Next(c.Processes), points[c.Random.Next(points.Length)], c.Random.Next(0, 3));
    }

    private static PlanChangeStep PlanChange(Context c)
    {
        var account = c.Random.Next(c.Accounts);
        c.Billable[account] = !c.Billable[account];
        return new PlanChangeStep(account, c.Billable[account], c.Random.NextDouble() < 0.35, c.Random.NextDouble() < 0.3 ? NewIncrements(c, c.Random.Next(1, 4)) : []);
    }
#pragma warning restore CA5394

    /// <summary>What the generator remembers while it writes a schedule.</summary>
    private sealed class Context(Random random, int accounts, int meters, List<bool> billable, int processes)
    {
        public Random Random { get; } = random;

        public int Accounts { get; } = accounts;

        public int Meters { get; } = meters;

        public List<bool> Billable { get; } = billable;

        public int Processes { get; } = processes;

        public List<int> KeyedIds { get; } = [];

        public int NextId { get; set; }
    }
}
