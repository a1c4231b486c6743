using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Optional Redis backing, bound from <c>Orchestrator:Redis</c>. When <see cref="ConnectionString"/> is set,
/// cluster membership and all grain state live in Redis, so coordinators on several machines form one cluster
/// and jobs survive a coordinator restart; otherwise state lives in the coordinator's memory.
/// </summary>
public sealed class RedisOptions
{
    public const string SectionName = "Orchestrator:Redis";

    /// <summary>StackExchange.Redis connection string, e.g. "redis-host:6379" or "host:6379,password=...".</summary>
    public string? ConnectionString { get; set; }

    public bool IsEnabled => !string.IsNullOrWhiteSpace(ConnectionString);
}

/// <summary>Refuses a malformed Redis connection string at start.</summary>
public sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        if (!options.IsEnabled)
        {
            return ValidateOptionsResult.Success;
        }

        try
        {
            var parsed = ConfigurationOptions.Parse(options.ConnectionString!);
            return parsed.EndPoints.Count > 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{RedisOptions.SectionName}:ConnectionString '{options.ConnectionString}' names no server: use HOST:PORT");
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"{RedisOptions.SectionName}:ConnectionString '{options.ConnectionString}' is malformed: {ex.Message}");
        }
    }
}
