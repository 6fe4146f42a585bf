namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>Waits for something another thread or process makes true; the time limit only keeps a broken test from hanging.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan limit, Func<string> describe)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(limit.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!condition())
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                Assert.Fail("Gave up waiting: " + describe());
            }

            await Task.Delay(20);
        }
    }
}
