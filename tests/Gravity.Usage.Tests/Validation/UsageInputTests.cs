using Microsoft.Extensions.Options;
using Moq;

namespace Gravity.Usage.Tests.Validation;

/// <summary>
/// <see cref="UsageInput"/> gives the very error the meter throws for the same input (one implementation of the
/// rules), without touching a store.
/// </summary>
public sealed class UsageInputTests
{
    private const string SecretKey = "req-secret-key-7";

    private static readonly object?[][] s_badIncrements =
    [
        [null, 1L, null, null],
        ["", 1L, null, null],
        [" \u200B", 1L, null, null],
        ["acct\0", 1L, null, null],
        [new string('a', 201), 1L, null, null],
        ["acct", 0L, null, null],
        ["acct", 1_001L, null, null],
        ["acct", 1L, "tokens", null],
        ["acct", 1L, " api_calls", null],
        ["acct", 1L, "seats", null],
        ["acct", 1L, null, ""],
        ["acct", 1L, null, new string('k', 256)],
        ["acct", 1L, null, SecretKey + "\n"],
    ];

    private static readonly object?[][] s_badReadings =
    [
        [null, 1L, "seats"],
        ["acct", -1L, "seats"],
        ["acct", UsageBillingOptions.MaxCounterQuantity + 1, "seats"],
        ["acct", 1L, "api_calls"],
        ["acct", 1L, null],
        ["acct", 1L, "tokens"],
    ];

    private UsageBillingOptions _options = null!;
    private UsageMeter _meter = null!;

    [SetUp]
    public void SetUp()
    {
        _options = new UsageBillingOptions { MaxIncrementQuantity = 1_000 };
        _options.Meters["api_calls"] = new MeterOptions();
        _options.Meters["seats"] = new MeterOptions { Kind = MeterKind.Last };

        // Strict: a call that reaches the store fails the test, so the meter's error is its own check's.
        _meter = new UsageMeter(new Mock<IUsageStore>(MockBehavior.Strict).Object, Options.Create(_options), TestClock.At(TestClock.Now));
    }

    [TearDown]
    public async Task TearDown() => await _meter.DisposeAsync();

    [TestCaseSource(nameof(s_badIncrements))]
    public void CheckIncrement_BadInput_ReturnsTheErrorIncrementAsyncThrows(string? account, long quantity, string? meter, string? key)
    {
        var checkedFirst = UsageInput.CheckIncrement(_options, account, quantity, meter, key);
        var thrown = Assert.ThrowsAsync<UsageInputException>(() => _meter.IncrementAsync(account!, quantity, meter, key))!;

        Assert.That(checkedFirst, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(checkedFirst!.ParamName, Is.EqualTo(thrown.ParamName));
            Assert.That(checkedFirst.Message, Is.EqualTo(thrown.Message));
            Assert.That(thrown.Message, Does.Not.Contain(SecretKey));
        });
    }

    [TestCaseSource(nameof(s_badReadings))]
    public void CheckReading_BadInput_ReturnsTheErrorSetAsyncThrows(string? account, long value, string? meter)
    {
        var checkedFirst = UsageInput.CheckReading(_options, account, value, meter);
        var thrown = Assert.ThrowsAsync<UsageInputException>(() => _meter.SetAsync(account!, value, meter))!;

        Assert.That(checkedFirst, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(checkedFirst!.ParamName, Is.EqualTo(thrown.ParamName));
            Assert.That(checkedFirst.Message, Is.EqualTo(thrown.Message));
        });
    }

    [Test]
    public void CheckIncrement_GoodInput_ReturnsNull()
    {
        Assert.Multiple(() =>
        {
            Assert.That(UsageInput.CheckIncrement(_options, "acct_1", 1_000, "api_calls", "req-1"), Is.Null);
            Assert.That(UsageInput.CheckIncrement(_options, "acct_1"), Is.Null);
            Assert.That(UsageInput.CheckReading(_options, "acct_1", 0, "seats"), Is.Null);
        });
    }

    [Test]
    public void CheckAccount_EachRule_NamesAccountAndTheRule()
    {
        Assert.Multiple(() =>
        {
            Assert.That(UsageInput.CheckAccount("acct_1"), Is.Null);
            Assert.That(UsageInput.CheckAccount(null)?.ParamName, Is.EqualTo("account"));
            Assert.That(UsageInput.CheckAccount("\u200B")?.Message, Does.Contain("1 to 200 characters").And.Contain("invisible"));
            Assert.That(UsageInput.CheckAccount(new string('a', 201))?.Message, Does.Contain("this one is 201 characters"));
        });
    }

    [Test]
    public void CheckIdempotencyKey_NoneOrBad_NullForNoneAndNeverEchoesTheKey()
    {
        var bad = UsageInput.CheckIdempotencyKey(SecretKey + "\u0007");

        Assert.Multiple(() =>
        {
            Assert.That(UsageInput.CheckIdempotencyKey(null), Is.Null);
            Assert.That(UsageInput.CheckIdempotencyKey(SecretKey), Is.Null);
            Assert.That(bad?.ParamName, Is.EqualTo("idempotencyKey"));
            Assert.That(bad?.Message, Does.Contain("control character").And.Not.Contain(SecretKey));
        });
    }

    [Test]
    public void CheckMeter_UndeclaredOrDefault_AgainstTheConfiguredMeters()
    {
        Assert.Multiple(() =>
        {
            Assert.That(UsageInput.CheckMeter(_options, "api_calls"), Is.Null);
            Assert.That(UsageInput.CheckMeter(_options, null), Is.Null, "null is the default meter, which is declared");
            Assert.That(UsageInput.CheckMeter(_options, "tokens")?.Message, Does.Contain("'tokens' is not a declared meter"));
            Assert.That(UsageInput.CheckMeter(_options, "tokens")?.ParamName, Is.EqualTo("meter"));
        });
    }

    [Test]
    public void CheckQuantity_OutOfRange_NamesQuantityAndTheLimit()
    {
        Assert.Multiple(() =>
        {
            Assert.That(UsageInput.CheckQuantity(_options, 1), Is.Null);
            Assert.That(UsageInput.CheckQuantity(_options, 1_001)?.ParamName, Is.EqualTo("quantity"));
            Assert.That(UsageInput.CheckQuantity(_options, 0)?.Message, Does.Contain("at least 1 and at most 1000 (MaxIncrementQuantity)"));
            Assert.That(UsageInput.CheckValue(-1)?.ParamName, Is.EqualTo("value"));
        });
    }

    [Test]
    public void UsagePartIncrement_NullMeter_ThrowsUsageInputExceptionNamingMeter()
    {
        var ex = Assert.Throws<UsageInputException>(() => UsagePart.Increment(null!, 1))!;

        Assert.That(ex.ParamName, Is.EqualTo("meter"));
    }

    [Test]
    public void UsageInputException_CaughtAsArgumentException_StillSeen()
    {
        ArgumentException? caught = null;
        try
        {
            throw UsageInput.CheckAccount("")!;
        }
        catch (ArgumentException ex)
        {
            caught = ex;
        }

        Assert.That(caught, Is.TypeOf<UsageInputException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("account"));
    }
}
