namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// The life of one simulated application process: an armed crash point (fired by the wrappers when the process next
/// passes it) and, once fired, death: every later call of the process throws, as if it were gone.
/// </summary>
/// <remarks>Thread-safe: the group-commit loop, concurrent reporters and deliveries all consult it.</remarks>
public sealed class ProcessLife
{
    private readonly Lock _lock = new();
    private CrashPoint? _armed;
    private int _passesLeft;
    private CrashPoint? _fired;

    /// <summary>Gets the crash point that killed the process, or <see langword="null"/> while it lives.</summary>
    public CrashPoint? DiedAt
    {
        get
        {
            lock (_lock)
            {
                return _fired;
            }
        }
    }

    public bool IsDead => DiedAt is not null;

    /// <summary>Arms a crash at <paramref name="point"/>, to strike once the process has passed it <paramref name="passesFirst"/> times.</summary>
    public void Arm(CrashPoint point, int passesFirst)
    {
        lock (_lock)
        {
            _armed = point;
            _passesLeft = passesFirst;
        }
    }

    public void Disarm()
    {
        lock (_lock)
        {
            _armed = null;
        }
    }

    /// <summary>Throws when the process is dead.</summary>
    public void ThrowIfDead()
    {
        if (DiedAt is { } point)
        {
            throw new SimulatedCrashException($"The process died at {point}.");
        }
    }

    /// <summary>Passes <paramref name="point"/>: returns <see langword="true"/> when the armed crash strikes here (the process is then dead).</summary>
    public bool Strikes(CrashPoint point)
    {
        lock (_lock)
        {
            if (_fired is not null || _armed != point)
            {
                return false;
            }

            if (_passesLeft-- > 0)
            {
                return false;
            }

            _armed = null;
            _fired = point;
            return true;
        }
    }
}
