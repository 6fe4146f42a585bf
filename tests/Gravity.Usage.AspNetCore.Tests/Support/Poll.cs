namespace Gravity.Usage.AspNetCore.Tests.Support;

/// <summary>Waits for what the background flush makes true; the limit only keeps a broken test from hanging.</summary>
public static class Poll
{
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> describe)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(HangGuard.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!await condition())
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                Assert.Fail("Gave up waiting: " + describe());
            }

            await Task.Delay(20);
        }
    }
}
