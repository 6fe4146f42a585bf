namespace Gravity.Usage.Testing.Tests.Support;

/// <summary>
/// The Stripe reference files kept in the repository (<c>tests/TestData/Stripe/</c>), copied beside the test assembly
/// by the build.
/// </summary>
public static class TestData
{
    /// <summary>The full path of a reference file; a missing one fails the test, since the build always copies it.</summary>
    public static string Stripe(string fileName)
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "TestData", "Stripe", fileName);
        if (!File.Exists(path))
        {
            Assert.Fail($"{fileName} was not copied beside the tests: expected {path} (from tests/TestData/Stripe).");
        }

        return path;
    }
}
