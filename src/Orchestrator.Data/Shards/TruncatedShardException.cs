namespace Orchestrator.Data.Shards;

/// <summary>
/// A <c>.bin</c> shard whose length does not hold a whole number of tokens, or a different number of tokens than
/// meta.json records: an interrupted copy or a stale file. The only fix is to prepare the dataset again.
/// </summary>
public sealed class TruncatedShardException(string file, string message) : DataPipelineException(message)
{
    public string File { get; } = file;
}
