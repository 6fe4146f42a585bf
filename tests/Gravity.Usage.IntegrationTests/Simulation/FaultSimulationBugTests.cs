using Gravity.Usage.IntegrationTests.Contract;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// Library bugs the fault simulation found, each as a hand-written schedule run strictly through the same harness.
/// They fail until the bug is fixed, so they are explicit: the suite stays green, and the bug stays visible.
/// </summary>
public sealed class FaultSimulationBugTests
{
    /// <summary>
    /// PostgreSQL commits a batch, the connection drops before the answer to COMMIT arrives, and the library tells every
    /// caller of the batch that it failed, which the README and IUsageStore.WriteAsync describe as "none of the batch
    /// was applied". It was applied: an unkeyed increment is counted although its task failed (a caller that retries
    /// it counts it twice), and a keyed one is answered Duplicate on its retry. The outcome of a failed COMMIT is
    /// unknown, and the library should say so (a distinct exception), not promise "nothing applied".
    /// </summary>
    /// <remarks>
    /// The first COMMIT after arming is the batch's own: a meter prunes expired keys only after its first batch.
    /// The seeded runs meet this in about one PostgreSQL seed in ten and tolerate it, counted in their summary.
    /// </remarks>
    [TestCase(false, TestName = "IncrementAsync_ConnectionDropsAfterCommit_UnkeyedIncrementWhoseTaskFailedIsNotCounted")]
    [TestCase(true, TestName = "IncrementAsync_ConnectionDropsAfterCommit_KeyedIncrementWhoseTaskFailedIsNotCounted")]
    [Explicit("bug: a PostgreSQL batch whose COMMIT answer is lost is reported as failed with nothing applied, but it was applied")]
    public async Task IncrementAsync_ConnectionDropsAfterCommit_TaskFailsAndNothingIsApplied(bool keyed)
    {
        await PostgreSqlServer.RequireAsync();
        List<SimStep> steps =
        [
            new CommitDropStep(AfterCommit: true, PassesFirst: 0),
            new IncrementStep([new PlannedIncrement(0, 0, 0, 5, keyed, TimeSpan.Zero)]),
        ];
        if (keyed)
        {
            // The caller retries with the same key, as the README says is always safe.
            steps.Add(new ResendStep([0]));
        }

        var schedule = new SimulationSchedule(0, SimBackend.PostgreSql, Loopback: false, Accounts: 1, Meters: 1, InitiallyBillable: [true], MaxNetworkRetries: 0, StripeFaults: [], steps)
        {
            TolerateLostCommitAnswers = false,
        };
        var directory = Directory.CreateTempSubdirectory("gravity-usage-sim-").FullName;
        try
        {
            var result = await SimulationRun.RunAsync(schedule, directory);
            TestContext.Out.WriteLine(schedule.Describe());
            TestContext.Out.WriteLine(string.Join(", ", result.Events.Select(e => $"{e.Key} {e.Value}")));
            Assert.That(result.Events.GetValueOrDefault("connection drops after COMMIT"), Is.EqualTo(1), "the drop struck");
            Assert.That(result.Events.GetValueOrDefault("increment failed: NpgsqlException"), Is.EqualTo(1), "the increment's task failed");
            Assert.That(result.Violations, Is.Empty);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
