using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// One provider's side of the store contract: a fresh, empty database (a file or a schema) per test, stores on it, and
/// raw SQL for what the interfaces cannot show. Disposing it disposes the stores and deletes the database.
/// </summary>
public interface IStoreFixture : IAsyncDisposable
{
    /// <summary>Prepares the empty database; ignores or fails the test when the provider is unavailable.</summary>
    Task InitializeAsync();

    /// <summary>A new store on the fixture's database, disposed with the fixture.</summary>
    PersistentStore CreateStore(TimeProvider clock, bool prepareSchema = true);

    /// <summary>Points a usage billing builder at the fixture's database.</summary>
    void UseStore(UsageBillingBuilder builder);

    /// <summary>A table's name as SQL text.</summary>
    string Table(string name);

    /// <summary>The provider's install script for the fixture's database.</summary>
    string InstallScript { get; }

    Task ExecuteAsync(string sql);

    Task<long> ScalarAsync(string sql);

    Task<string> TextAsync(string sql);

    Task<IReadOnlyList<long>> ColumnAsync(string sql);
}
