using Gravity.Usage.Internal;

namespace Gravity.Usage.Tests.Validation;

/// <summary>The one rule for identifying strings (issue 8): what it accepts and what it refuses, with the reason.</summary>
public sealed class IdentifierRuleTests
{
    // Built in code, not in attributes: attribute strings are stored as UTF-8, which turns an unpaired surrogate into U+FFFD.
    private static readonly TestCaseData[] Refused =
    [
        new TestCaseData("a\0b", "control character U+0000 at index 1").SetName("{m}(Nul)"),
        new TestCaseData("a\u007Fb", "control character U+007F at index 1").SetName("{m}(Delete)"),
        new TestCaseData("a\u0085", "control character U+0085 at index 1").SetName("{m}(NextLine)"),
        new TestCaseData("x\uD800", "unpaired surrogate U+D800 at index 1").SetName("{m}(LoneHighSurrogateAtEnd)"),
        new TestCaseData("\uD800x", "unpaired surrogate U+D800 at index 0").SetName("{m}(HighSurrogateBeforeNonSurrogate)"),
        new TestCaseData("\uDC00", "unpaired surrogate U+DC00 at index 0").SetName("{m}(LoneLowSurrogate)"),
        new TestCaseData("\u200B", "only white space or invisible characters").SetName("{m}(ZeroWidthSpace)"),
        new TestCaseData("\uFEFF\u2060\u00A0\u3000", "only white space or invisible characters").SetName("{m}(BomWordJoinerAndSpaces)"),
        new TestCaseData(string.Empty, "this one is 0 characters").SetName("{m}(Empty)"),
    ];

    private static readonly string[] Accepted = ["acct_42", "a\u200Bb", "😀", "账户-ß", "\uFFFD", "O'Brien \"x\"", "cus_ABC123"];

    [TestCaseSource(nameof(Refused))]
    public void DescribeInvalidIdentifier_BreakingTheRule_NamesTheRuleAndTheProblem(string value, string problem)
    {
        var description = UsageRules.DescribeInvalidIdentifier(value, "A Stripe customer id", 255);

        Assert.That(description, Does.StartWith("A Stripe customer id must be 1 to 255 characters of " + UsageRules.IdentifierRule).And.Contain(problem));
    }

    [TestCaseSource(nameof(Accepted))]
    public void DescribeInvalidIdentifier_WellFormedVisibleText_IsAccepted(string value)
    {
        Assert.That(UsageRules.DescribeInvalidIdentifier(value, "An account", 200), Is.Null);
    }

    [Test]
    public void ValidateIdentifier_BreakingTheRule_ThrowsNamingTheArgument()
    {
        var ex = Assert.Throws<UsageInputException>(() => UsageRules.ValidateIdentifier("a\0", "customerId", "A Stripe customer id", 255))!;
        var nullEx = Assert.Throws<UsageInputException>(() => UsageRules.ValidateIdentifier(null, "customerId", "A Stripe customer id", 255))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.ParamName, Is.EqualTo("customerId"));
            Assert.That(nullEx.ParamName, Is.EqualTo("customerId"));
        });
    }

    [Test]
    public void DescribeInvalidIdentifier_LongerThanTheMaximumCountingUtf16Units_IsRefused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(UsageRules.DescribeInvalidIdentifier(new string('a', 201), "An account", 200), Does.Contain("this one is 201 characters"));
            Assert.That(UsageRules.DescribeInvalidIdentifier(string.Concat(Enumerable.Repeat("😀", 100)), "An account", 200), Is.Null);
        });
    }
}
