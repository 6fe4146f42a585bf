using Moq;

namespace Gravity.Usage.Tests;

/// <summary>A mocked clock standing at a fixed instant.</summary>
internal static class TestClock
{
    public static readonly DateTimeOffset Now = new(2026, 11, 21, 10, 30, 15, TimeSpan.Zero);

    public static TimeProvider At(DateTimeOffset now)
    {
        var clock = new Mock<TimeProvider>();
        clock.Setup(c => c.GetUtcNow()).Returns(now);
        return clock.Object;
    }
}
