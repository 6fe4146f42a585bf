using Gravity.Usage.Stripe;

namespace Gravity.Usage.Tests.Stripe;

/// <summary>Golden bodies are the ones stripe-node sent (reference/stripe-node-wire-captures.txt).</summary>
public sealed class StripeFormEncoderTests
{
    [Test]
    public void Encode_MeterEvent_MatchesStripeNodeCapture()
    {
        Assert.That(
            StripeFormEncoder.Encode(StripeHarness.MeterEventForm()),
            Is.EqualTo("event_name=api_calls&payload[stripe_customer_id]=cus_123&payload[value]=25&identifier=evt-1&timestamp=1790000000"));
    }

    [Test]
    public void Encode_MeterEventAdjustment_MatchesStripeNodeCapture()
    {
        KeyValuePair<string, string>[] form = [new("event_name", "api_calls"), new("type", "cancel"), new("cancel[identifier]", "evt-1")];
        Assert.That(StripeFormEncoder.Encode(form), Is.EqualTo("event_name=api_calls&type=cancel&cancel[identifier]=evt-1"));
    }

    [Test]
    public void Encode_MeterCreate_EncodesSpaceAsPercent20()
    {
        KeyValuePair<string, string>[] form =
        [
            new("display_name", "API calls"),
            new("event_name", "api_calls"),
            new("default_aggregation[formula]", "sum"),
            new("customer_mapping[type]", "by_id"),
            new("customer_mapping[event_payload_key]", "stripe_customer_id"),
            new("value_settings[event_payload_key]", "value"),
        ];
        Assert.That(
            StripeFormEncoder.Encode(form),
            Is.EqualTo("display_name=API%20calls&event_name=api_calls&default_aggregation[formula]=sum&customer_mapping[type]=by_id&customer_mapping[event_payload_key]=stripe_customer_id&value_settings[event_payload_key]=value"));
    }

    [Test]
    public void Encode_UsageRecords_MatchStripeNodeCaptures()
    {
        KeyValuePair<string, string>[] set = [new("quantity", "5"), new("timestamp", "1790000000"), new("action", "set")];
        KeyValuePair<string, string>[] now = [new("quantity", "2"), new("timestamp", "now")];
        Assert.Multiple(() =>
        {
            Assert.That(StripeFormEncoder.Encode(set), Is.EqualTo("quantity=5&timestamp=1790000000&action=set"));
            Assert.That(StripeFormEncoder.Encode(now), Is.EqualTo("quantity=2&timestamp=now"));
        });
    }

    [Test]
    public void Encode_EventSummariesQuery_MatchesStripeNodeCapture()
    {
        KeyValuePair<string, string>[] query =
        [
            new("customer", "cus_123"),
            new("start_time", "1789999200"),
            new("end_time", "1790002800"),
            new("value_grouping_window", "hour"),
        ];
        Assert.That(StripeFormEncoder.Encode(query), Is.EqualTo("customer=cus_123&start_time=1789999200&end_time=1790002800&value_grouping_window=hour"));
    }

    [TestCase("a b", "a%20b")]
    [TestCase("!*'()", "%21%2A%27%28%29")]
    [TestCase("-._~", "-._~")]
    [TestCase("&=+/?#%,;:@$", "%26%3D%2B%2F%3F%23%25%2C%3B%3A%40%24")]
    [TestCase("x[y]", "x[y]")]
    [TestCase("é€😀", "%C3%A9%E2%82%AC%F0%9F%98%80")]
    [TestCase("\n\t\"<>", "%0A%09%22%3C%3E")]
    [TestCase("", "")]
    public void EncodeComponent_EncodesLikeEncodeUriComponentPlusReservedMarks(string value, string expected)
    {
        Assert.That(StripeFormEncoder.EncodeComponent(value), Is.EqualTo(expected));
    }

    [Test]
    public void EncodeComponent_LoneSurrogate_BecomesReplacementCharacter()
    {
        Assert.That(StripeFormEncoder.EncodeComponent("a\uD800b"), Is.EqualTo("a%EF%BF%BDb"));
    }

    [Test]
    public void EncodeComponent_EveryBmpCharacter_AgreesWithRfc3986EscapingExceptBrackets()
    {
        var mismatches = new List<int>();
        for (var code = 0; code <= 0xFFFF; code++)
        {
            if (code is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            var text = ((char)code).ToString();
            var expected = Uri.EscapeDataString(text).Replace("%5B", "[", StringComparison.Ordinal).Replace("%5D", "]", StringComparison.Ordinal);
            if (StripeFormEncoder.EncodeComponent(text) != expected)
            {
                mismatches.Add(code);
            }
        }

        Assert.That(mismatches, Is.Empty);
    }

    [Test]
    public void Encode_KeepsOrderAndEncodesKeysToo()
    {
        KeyValuePair<string, string>[] form = [new("z", "1"), new("a b[c d]", "2"), new("m", "")];
        Assert.That(StripeFormEncoder.Encode(form), Is.EqualTo("z=1&a%20b[c%20d]=2&m="));
    }
}
