using Gravity.Usage.Sql;

namespace Gravity.Usage.Tests.Sql;

public sealed class SqlIdentifierTests
{
    [TestCase("usage_", true)]
    [TestCase("A1_b2", true)]
    [TestCase("", false)]
    [TestCase("1a", false)]
    [TestCase("a;b", false)]
    [TestCase("a b", false)]
    [TestCase("'--", false)]
    [TestCase("schemaname_that_is_much_too_long_for_a_prefix", false)]
    public void IsSafe_WithoutEmpty_AcceptsOnlyPlainIdentifiers(string name, bool expected)
    {
        Assert.That(SqlIdentifier.IsSafe(name, allowEmpty: false), Is.EqualTo(expected));
    }

    [Test]
    public void IsSafe_EmptyAllowed_AcceptsEmpty()
    {
        Assert.That(SqlIdentifier.IsSafe(string.Empty, allowEmpty: true), Is.True);
    }
}
