using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Tests;

/// <summary>A clock standing at a fixed instant until a test moves it.</summary>
internal static class TestClock
{
    public static readonly DateTimeOffset Now = new(2026, 11, 21, 10, 30, 15, TimeSpan.Zero);

    public static TimeProvider At(DateTimeOffset now) => new FakeTimeProvider(now);
}
