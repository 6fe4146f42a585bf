namespace Gravity.Usage;

/// <summary>What one part of a multi-meter call (<see cref="UsageMeter.RecordAsync"/>) does to its meter.</summary>
public enum UsagePartKind
{
    /// <summary>Adds a quantity to the meter's counter, as <see cref="UsageMeter.IncrementAsync"/> does.</summary>
    Increment = 0,
}
