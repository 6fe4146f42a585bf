namespace Gravity.Usage;

/// <summary>The database's usage schema cannot be used by this version of the library.</summary>
public sealed class UsageSchemaException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="UsageSchemaException"/> class.</summary>
    public UsageSchemaException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageSchemaException"/> class with a message.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    public UsageSchemaException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageSchemaException"/> class with a message and a cause.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public UsageSchemaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
