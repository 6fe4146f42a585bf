using System.Text.RegularExpressions;

namespace Gravity.Usage.Tests;

/// <summary>
/// One test naming style across every test project: <c>Method_Condition_Result</c> (the member or feature under test,
/// the situation, what must happen), in PascalCase segments. Read from the sources, so a test project this one does
/// not reference is held to it too.
/// </summary>
public sealed partial class TestNamingConventionTests
{
    [Test]
    public void TestMethods_InEveryTestProject_AreNamedMethodConditionResult()
    {
        var tests = FindRepositoryRoot().EnumerateFiles("*.cs", SearchOption.AllDirectories)
            .Where(f => !f.FullName.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.FullName.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => TestMethod().Matches(File.ReadAllText(f.FullName)).Select(m => (File: f.Name, Name: m.Groups["name"].Value)))
            .ToList();

        var misnamed = tests.Where(t => !MethodConditionResult().IsMatch(t.Name)).Select(t => $"{t.File}: {t.Name}");

        Assert.Multiple(() =>
        {
            Assert.That(tests, Has.Count.GreaterThan(500), "the test sources were found");
            Assert.That(misnamed, Is.Empty);
        });
    }

    private static DirectoryInfo FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gravity.Usage.sln")))
            {
                return new DirectoryInfo(Path.Combine(directory.FullName, "tests"));
            }
        }

        throw new DirectoryNotFoundException("No Gravity.Usage.sln above the test directory.");
    }

    /// <summary>A method marked [Test], [TestCase(...)] or [TestCaseSource(...)], however many attributes lie between.</summary>
    [GeneratedRegex(@"\[(?:Test|TestCase(?:Source)?\([^\n]*)\][\s\S]{0,600}?public (?:async )?(?:Task|void) (?<name>\w+)\(")]
    private static partial Regex TestMethod();

    /// <summary>At least three PascalCase segments: Method_Condition_Result (more segments for a longer result).</summary>
    [GeneratedRegex("^[A-Z][A-Za-z0-9]*(?:_[A-Z0-9][A-Za-z0-9]*){2,}$")]
    private static partial Regex MethodConditionResult();
}
