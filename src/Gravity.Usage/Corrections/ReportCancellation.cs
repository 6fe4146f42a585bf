namespace Gravity.Usage;

/// <summary>
/// A claimed <see cref="UsageReportStatus.Cancelling"/> report and the sent report it asks to cancel
/// (<see cref="IUsageCorrectionStore.ClaimCancellationsAsync"/>).
/// </summary>
/// <param name="Correction">The cancelling report, claimed under the caller's lease: the amount a correction takes off <paramref name="Target"/>.</param>
/// <param name="Target">The report billed at the back end, in status <see cref="UsageReportStatus.Sent"/>.</param>
public sealed record ReportCancellation(UsageReport Correction, UsageReport Target);
