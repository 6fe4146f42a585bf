namespace Gravity.Usage.Hosting;

/// <summary>How often the hosted reporting service runs.</summary>
internal sealed record UsageReportingSchedule(TimeSpan Interval);
