namespace Gravity.Usage.Testing.Tests.Support;

/// <summary>
/// Finds the shared reference files: <c>../shared/reference/</c> beside the repository root (the folder that holds
/// Gravity.Usage.sln), found by walking up from the test assembly. Missing files fail the test under CI=true and
/// make it inconclusive (ignored) elsewhere.
/// </summary>
public static class SharedReference
{
    public static string? TryFind(string fileName)
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Gravity.Usage.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            return null;
        }

        var path = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "reference", fileName));
        return File.Exists(path) ? path : null;
    }

    public static string Require(string fileName)
    {
        var path = TryFind(fileName);
        if (path is not null)
        {
            return path;
        }

        var message = $"shared/reference/{fileName} was not found: it is expected at ../shared/reference/ beside the repository root (the folder that holds Gravity.Usage.sln).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }

        Assert.Ignore(message);
        throw new InvalidOperationException(message); // unreachable: Assert.Fail/Ignore throw
    }
}
