using System.Globalization;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// What the fault simulation runs, from the environment: <c>GRAVITY_USAGE_SIM_SEED</c> (one seed),
/// <c>GRAVITY_USAGE_SIM_SEEDS</c> (seeds 1..N, default 1,000), <c>GRAVITY_USAGE_SIM_SOAK</c> (minutes of seeds from
/// <c>GRAVITY_USAGE_SIM_FIRST_SEED</c>, default 1,000,000: the larger schedules) and <c>GRAVITY_USAGE_SIM_PARALLEL</c>
/// (seeds at once).
/// </summary>
public sealed record SimulationSettings(int FirstSeed, int? LastSeed, TimeSpan? Soak, int Parallelism)
{

    public const string SeedVariable = "GRAVITY_USAGE_SIM_SEED";
    public const string SeedsVariable = "GRAVITY_USAGE_SIM_SEEDS";
    public const string SoakVariable = "GRAVITY_USAGE_SIM_SOAK";
    public const string FirstSeedVariable = "GRAVITY_USAGE_SIM_FIRST_SEED";
    public const string ParallelVariable = "GRAVITY_USAGE_SIM_PARALLEL";

    public const int DefaultSeeds = 1_000;

    public static SimulationSettings FromEnvironment()
    {
        // Seeds mostly wait on fsync, Stripe timeouts and the PostgreSQL server, so more seeds than cores run at once.
        var parallelism = Read(ParallelVariable) ?? Math.Max(4, Environment.ProcessorCount * 3);
        if (Read(SeedVariable) is { } seed)
        {
            return new SimulationSettings(seed, seed, null, 1);
        }

        if (Read(SoakVariable) is { } minutes)
        {
            return new SimulationSettings(Read(FirstSeedVariable) ?? ScheduleGenerator.LargeSeedsFrom, null, TimeSpan.FromMinutes(minutes), parallelism);
        }

        var first = Read(FirstSeedVariable) ?? 1;
        return new SimulationSettings(first, first + (Read(SeedsVariable) ?? DefaultSeeds) - 1, null, parallelism);
    }

    public string Describe() => Soak is { } soak
        ? string.Create(CultureInfo.InvariantCulture, $"soak for {soak.TotalMinutes:0} min from seed {FirstSeed}, {Parallelism} at once")
        : string.Create(CultureInfo.InvariantCulture, $"seeds {FirstSeed}..{LastSeed}, {Parallelism} at once");

    private static int? Read(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text
            ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : null;
}
