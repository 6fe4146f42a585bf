namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// Thrown by the simulation's wrappers when the simulated process has crashed: at the crash point itself and by every
/// later call of the dead process, so that nothing of it reaches the ledger or Stripe afterwards.
/// </summary>
public sealed class SimulatedCrashException : Exception
{
    public SimulatedCrashException()
        : base("Simulated process crash.")
    {
    }

    public SimulatedCrashException(string message)
        : base(message)
    {
    }

    public SimulatedCrashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
