namespace Gravity.Usage.Testing.Tests.Support;

/// <summary>How a test reaches the stand-in.</summary>
public enum Transport
{
    /// <summary>Through <see cref="StripeStandIn.CreateHandler"/>.</summary>
    InProcess,

    /// <summary>Over HTTP to Kestrel on 127.0.0.1.</summary>
    Loopback,
}
