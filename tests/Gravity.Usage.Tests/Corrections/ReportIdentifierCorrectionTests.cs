namespace Gravity.Usage.Tests.Corrections;

public sealed class ReportIdentifierCorrectionTests
{
    private const string Ledger = "0123456789abcdef0123456789abcdef";

    [Test]
    public void Create_WithoutCorrections_IsTheIdentifierOfBefore()
    {
        // Identifiers already sent must not change: no corrections means the text hashed is exactly as before.
        Assert.That(
            ReportIdentifier.Create(Ledger, "acct", "api_calls", 1_700_000_000, 10, 5, corrections: 0),
            Is.EqualTo(ReportIdentifier.Create(Ledger, "acct", "api_calls", 1_700_000_000, 10, 5)));
    }

    [Test]
    public void Create_AfterACorrection_NeverRepeatsTheIdentifierOfTheSameCloseBefore()
    {
        var before = ReportIdentifier.Create(Ledger, "acct", "api_calls", 1_700_000_000, 0, 10);
        var after = ReportIdentifier.Create(Ledger, "acct", "api_calls", 1_700_000_000, 0, 10, corrections: 1);
        var later = ReportIdentifier.Create(Ledger, "acct", "api_calls", 1_700_000_000, 0, 10, corrections: 2);

        Assert.That(new[] { before, after, later }, Is.Unique);
    }

    [Test]
    public void Revise_SameReportAndRevision_IsNewAndDeterministic()
    {
        var original = ReportIdentifier.Create(Ledger, "acct", "api_calls", 1_700_000_000, 0, 10);
        var revised = ReportIdentifier.Revise(original);

        Assert.Multiple(() =>
        {
            Assert.That(revised, Is.Not.EqualTo(original));
            Assert.That(revised, Is.EqualTo(ReportIdentifier.Revise(original)));
            Assert.That(ReportIdentifier.Revise(revised), Is.Not.EqualTo(revised).And.Not.EqualTo(original));
            Assert.That(revised, Does.Match("^gu_[0-9a-f]{40}$"));
            Assert.That(ReportIdentifier.ForCorrection(1, original), Is.Not.EqualTo(ReportIdentifier.ForCorrection(2, original)).And.Not.EqualTo(revised));
        });
    }
}
