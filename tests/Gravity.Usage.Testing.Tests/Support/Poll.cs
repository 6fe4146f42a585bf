namespace Gravity.Usage.Testing.Tests.Support;

/// <summary>Waits for a condition that another thread makes true (never used to measure time).</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string? because = null)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (TimeProvider.System.TimestampFrequency * 20);
        while (!condition())
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                Assert.Fail("Timed out waiting for a condition" + (because is null ? "." : ": " + because));
            }

            await Task.Delay(5);
        }
    }
}
