namespace Gravity.Usage.Testing;

/// <summary>When an injected fault strikes, relative to the endpoint that handles the request.</summary>
public enum FaultTiming
{
    /// <summary>
    /// At the edge, before authentication, the idempotency layer and the endpoint: nothing is recorded and nothing is
    /// stored under the <c>Idempotency-Key</c>. A <see cref="StripeFaultKind.Delay"/> then lets the request go on, unless
    /// the client gave up meanwhile (then it is not processed).
    /// </summary>
    BeforeProcessing,

    /// <summary>
    /// Inside the endpoint, after the <c>Idempotency-Key</c> was reserved. A <see cref="StripeFaultKind.Status"/> fault
    /// becomes the endpoint's result: it is stored under the key and replayed to retries (Stripe stores 500s produced by
    /// an endpoint), and nothing is recorded. A <see cref="StripeFaultKind.Delay"/> or <see cref="StripeFaultKind.Timeout"/>
    /// holds the key in flight (a concurrent request with the same key gets 409), then the endpoint runs even if the
    /// client gave up. A <see cref="StripeFaultKind.DropConnection"/> behaves as with <see cref="AfterProcessing"/>.
    /// </summary>
    DuringProcessing,

    /// <summary>
    /// After the endpoint ran: the request IS recorded (and its answer stored under the <c>Idempotency-Key</c>), but the
    /// client gets the fault instead of the answer: "Stripe accepted it but the answer was lost".
    /// </summary>
    AfterProcessing,
}
