namespace Orchestrator.Data.Splitting;

/// <summary>The documents (or spans) of each split, each list in corpus order.</summary>
public sealed record DatasetSplits(IReadOnlyList<string> Train, IReadOnlyList<string> Val, IReadOnlyList<string> Test)
{
    /// <summary>Split names as used for file names (<c>train.bin</c>) and meta.json keys.</summary>
    public static IReadOnlyList<string> Names { get; } = ["train", "val", "test"];

    public IReadOnlyList<string> this[string name] => name switch
    {
        "train" => Train,
        "val" => Val,
        "test" => Test,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"Unknown split '{name}'; splits are {string.Join(", ", Names)}."),
    };
}
