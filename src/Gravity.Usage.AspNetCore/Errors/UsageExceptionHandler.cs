using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gravity.Usage.AspNetCore.Errors;

/// <summary>
/// Turns the library's input errors (<see cref="UsageInputException"/>) into 400 problem details naming the parameter and the rule,
/// <see cref="UsageIdempotencyConflictException"/> (a request id reused for other usage) into 409, and
/// <see cref="UsageCommitOutcomeUnknownException"/> into 503; every other exception is left to the next handler.
/// Registered by <c>AddUsageProblemDetails()</c>; runs inside <c>app.UseExceptionHandler()</c>.
/// </summary>
internal sealed class UsageExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = Describe(exception);
        if (problem is null)
        {
            return false;
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "1";
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        }).ConfigureAwait(false);
    }

    /// <summary>The problem an exception maps to, or <see langword="null"/> when it is not the library's to map.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>The problem details, or <see langword="null"/>.</returns>
    internal static ProblemDetails? Describe(Exception exception)
    {
        if (exception is UsageCommitOutcomeUnknownException)
        {
            return new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Usage commit outcome unknown",
                Detail = "The usage ledger lost its connection while committing; whether the increment was stored is unknown. Retrying with the same idempotency key is safe.",
            };
        }

        if (exception is UsageIdempotencyConflictException conflict)
        {
            // 409 rather than 400: the request is well formed, but its idempotency key already stands for other usage.
            var problem = new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Idempotency key reused",
                Detail = conflict.Message,
            };
            problem.Extensions["parameter"] = conflict.ParamName;
            return problem;
        }

        if (exception is UsageInputException input)
        {
            // By type, not by where it was thrown: a host's own ArgumentException stays its own (a 500 until it maps it),
            // while a UsageInputException the host rethrows from UsageInput's checks is the same client error.
            var problem = new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Invalid usage input",
                Detail = RuleOf(input),
            };
            if (input.ParamName is { } parameter)
            {
                problem.Extensions["parameter"] = parameter;
            }

            return problem;
        }

        return null;
    }

    /// <summary>The message without the " (Parameter 'x')" that <see cref="ArgumentException.Message"/> appends: the parameter has a field of its own.</summary>
    private static string RuleOf(ArgumentException exception)
    {
        var suffix = exception.ParamName is { } name ? $" (Parameter '{name}')" : null;
        return suffix is not null && exception.Message.EndsWith(suffix, StringComparison.Ordinal)
            ? exception.Message[..^suffix.Length]
            : exception.Message;
    }
}
