namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>Where a simulated process crash strikes, relative to the store or Stripe call it interrupts.</summary>
public enum CrashPoint
{
    /// <summary>The increment batch's transaction never commits: its callers' outcome is lost with the process.</summary>
    IncrementBeforeCommit,

    /// <summary>The increment batch committed, but the process died before any caller was told.</summary>
    IncrementAfterCommit,

    /// <summary>A plan change (<c>SaveAccountAsync</c>) never commits.</summary>
    PlanChangeBeforeCommit,

    /// <summary>A plan change committed (closing the usage so far under the old plan), then the process died.</summary>
    PlanChangeAfterCommit,

    /// <summary>The reporter dies while closing counters, before the close commits.</summary>
    CloseBeforeCommit,

    /// <summary>The reporter dies right after a close committed: reports exist, nothing was delivered.</summary>
    CloseAfterCommit,

    /// <summary>The reporter dies right after claiming reports: they stay leased to a dead owner until the lease expires.</summary>
    ClaimAfterCommit,

    /// <summary>The reporter dies after delivering, before recording the outcomes.</summary>
    CompleteBeforeCommit,

    /// <summary>The reporter dies with a meter event request about to leave: Stripe never sees it.</summary>
    DeliveryBeforeSend,

    /// <summary>Stripe accepted a meter event, and the reporter died before reading the answer.</summary>
    DeliveryAfterStripeAnswered,
}
