using System.Text.RegularExpressions;

namespace Gravity.Usage.Testing.Tests.Contract;

/// <summary>
/// The shipped store contract can fail: stores with one fault fail the cases that look at it, with a
/// <see cref="UsageStoreContractException"/> naming the case, the check, the expected and the actual value; the same
/// cases pass on the sound store underneath.
/// </summary>
public sealed class UsageStoreContractTests
{
    private const string FoldCase = "WriteAsync_IncrementsOnSeveralCounters_RecordsEachAndFoldsTheSameCounter";
    private const string DuplicateCase = "WriteAsync_KeyStoredByAnEarlierBatch_IsDuplicateAndNotCounted";
    private const string SkipCase = "CloseAsync_WithASkipReason_StoresASkippedReportWithTheReason";

    private static readonly string[] CasesOfOneStoreWrite =
    [
        FoldCase,
        DuplicateCase,
        "WriteAsync_SameKeyTwiceInOneBatch_FirstRecordedThenDuplicate_ButOtherAccountsAndMetersCount",
        "IncrementAsync_TrueRetry_IsDuplicate_AlsoWithoutTimestampAfterAnHourBoundary",
    ];

    [Test]
    public void RunAsync_StoreThatCountsTwice_FailsNamingTheCaseTheCheckAndBothValues()
    {
        var ex = Assert.ThrowsAsync<UsageStoreContractException>(() => Case(FoldCase).RunAsync(new SqliteContractFixture(s => new DoubleCountingStore(s))))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.CaseName, Is.EqualTo(FoldCase));
            Assert.That(ex.Check, Does.StartWith("series of acct"));
            Assert.That(ex.Expected, Does.Contain("Quantity = 5"));
            Assert.That(ex.Actual, Does.Contain("Quantity = 10"));
            Assert.That(ex.Message, Does.Contain(FoldCase).And.Contain("Expected: ").And.Contain("Actual: "));
        });
    }

    [Test]
    public void RunAsync_StoreThatForgetsKeys_FailsEveryCaseOfDuplicates()
    {
        var failures = CasesOfOneStoreWrite.Skip(1)
            .Select(name => Assert.ThrowsAsync<UsageStoreContractException>(() => Case(name).RunAsync(new SqliteContractFixture(s => new KeyForgettingStore(s))))!)
            .ToList();

        Assert.Multiple(() =>
        {
            Assert.That(failures.Select(f => f.CaseName), Is.EqualTo(CasesOfOneStoreWrite.Skip(1)));
            Assert.That(failures[0].Expected, Is.EqualTo("[Duplicate, Recorded]"));
            Assert.That(failures[0].Actual, Is.EqualTo("[Recorded, Recorded]"));
        });
    }

    [Test]
    public void RunAsync_StoreThatThrowsWhereAnAnswerIsDue_FailsWithTheStoresExceptionInside()
    {
        var ex = Assert.ThrowsAsync<UsageStoreContractException>(() => Case(FoldCase).RunAsync(new SqliteContractFixture(s => new UnreadableStore(s))))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.CaseName, Is.EqualTo(FoldCase));
            Assert.That(ex.Actual, Is.EqualTo("InvalidOperationException: The totals query is not written yet."));
            Assert.That(ex.InnerException, Is.InstanceOf<InvalidOperationException>());
        });
    }

    [Test]
    public void RunAsync_StoreWithoutTheReportInterface_FailsTheCasesThatCloseNamingIt()
    {
        var ex = Assert.ThrowsAsync<UsageStoreContractException>(() => Case(SkipCase).RunAsync(new SqliteContractFixture(s => new KeyForgettingStore(s))))!;

        Assert.That(ex.Check, Does.Contain(nameof(IUsageReportStore)));
    }

    [TestCaseSource(nameof(CasesOfOneStoreWrite))]
    public async Task RunAsync_TheSameCasesOnTheSoundStore_Pass(string name)
    {
        await Case(name).RunAsync(new SqliteContractFixture());

        Assert.That(UsageStoreContract.Cases.Select(c => c.Name), Does.Contain(name));
    }

    [Test]
    public void Cases_Names_AreUniqueTestNames()
    {
        var names = UsageStoreContract.Cases.Select(c => c.Name).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(names, Is.Unique);
            Assert.That(names, Has.Count.GreaterThanOrEqualTo(88));
            Assert.That(names, Has.All.Match("^[A-Za-z0-9]+_[A-Za-z0-9]+_[A-Za-z0-9_]+$"), "Method_Condition_Result");
        });
    }

    [Test]
    public void RunAsync_CanceledToken_Throws()
    {
        using var canceled = new CancellationTokenSource();
        canceled.Cancel();

        Assert.CatchAsync<OperationCanceledException>(() => Case(FoldCase).RunAsync(new SqliteContractFixture(), canceled.Token));
    }

    private static UsageStoreContractCase Case(string name) => UsageStoreContract.Cases.Single(c => c.Name == name);
}
