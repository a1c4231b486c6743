using System.CommandLine;
using Orchestrator.Data;
using Orchestrator.Data.Cleaning;
using Orchestrator.Data.Splitting;
using Orchestrator.Data.Tokenizers;

namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator prepare</c>: corpus → cleaned, split, tokenized shards in a data directory.</summary>
internal static class PrepareCommand
{
    /// <summary>The smallest byte-level BPE vocabulary: the 256 byte tokens and the end-of-text token.</summary>
    private const int MinimumBpeVocabulary = 256 + 1;

    public static Command Create()
    {
        var inputs = new Option<string[]>("--input") { Description = "Text file, folder (recursive) or .jsonl file; repeatable [default: none; give --input or --dataset]", AllowMultipleArgumentsPerToken = true };
        var dataset = new Option<string?>("--dataset") { Description = "Built-in dataset: tinyshakespeare or brown [default: none]" };
        var tokenizer = new Option<string>("--tokenizer") { Description = "char, bpe or gpt2", DefaultValueFactory = _ => TokenizerKind.Char };
        var vocabSize = new Option<int>("--vocab-size") { Description = "Target vocabulary size for bpe (bytes + merges + special tokens)", DefaultValueFactory = _ => 4096 }
            .AtLeast(MinimumBpeVocabulary, $"256 byte tokens + {TokenizerKind.EndOfText}");
        var output = new Option<string>("--out") { Description = "Output data directory", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing dataset in --out" };
        var seed = new Option<int>("--seed") { Description = "Seed of the train/val/test split", DefaultValueFactory = _ => 1337 };
        var splitBy = new Option<SplitMode>("--split-by")
        {
            Description = "How the corpus is cut into train/val/test: documents (whole documents per split), spans (every document cut into a train, val and test span) or auto (documents, spans for a single document)",
            DefaultValueFactory = _ => SplitMode.Auto,
            HelpName = "auto|documents|spans",
        };
        var val = new Option<double>("--val-fraction") { Description = "Fraction of documents (or text) for validation", DefaultValueFactory = _ => 0.05 }.Between(0, 1, minimumExcluded: true);
        var test = new Option<double>("--test-fraction") { Description = "Fraction of documents (or text) for test", DefaultValueFactory = _ => 0.05 }.Between(0, 1, minimumExcluded: true);
        var textField = new Option<string>("--text-field") { Description = "Field holding the text in .jsonl inputs", DefaultValueFactory = _ => "text" };
        var extensions = new Option<string[]>("--extensions") { Description = "File extensions read from folders", DefaultValueFactory = _ => [".txt", ".md"], AllowMultipleArgumentsPerToken = true };
        var allowUnknown = new Option<bool>("--allow-unknown") { Description = "char: add an <unk> token instead of rejecting unseen characters" };
        var noNfc = new Option<bool>("--no-nfc") { Description = "Skip Unicode NFC normalization" };
        var noMarkup = new Option<bool>("--no-strip-markup") { Description = "Keep HTML/XML markup" };
        var noControl = new Option<bool>("--no-strip-control") { Description = "Keep control characters" };
        var noWhitespace = new Option<bool>("--no-normalize-whitespace") { Description = "Keep whitespace as is" };
        var noDedupe = new Option<bool>("--no-dedupe") { Description = "Keep exact-duplicate documents" };

        var command = new Command("prepare", "Read, clean, split and tokenize a corpus into token shards")
        {
            inputs, dataset, tokenizer, vocabSize, output, force, seed, splitBy, val, test, textField, extensions, allowUnknown,
            noNfc, noMarkup, noControl, noWhitespace, noDedupe,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var valFraction = parse.GetValue(val);
            var testFraction = parse.GetValue(test);
            var options = new PrepareOptions
            {
                Inputs = parse.GetValue(inputs) ?? [],
                Dataset = parse.GetValue(dataset),
                OutputDirectory = parse.GetValue(output)!,
                Overwrite = parse.GetValue(force),
                Seed = parse.GetValue(seed),
                SplitBy = parse.GetValue(splitBy),
                TrainFraction = 1 - valFraction - testFraction,
                ValFraction = valFraction,
                TestFraction = testFraction,
                TextField = parse.GetValue(textField)!,
                Extensions = parse.GetValue(extensions)!,
                Tokenizer = new TokenizerOptions
                {
                    Kind = parse.GetValue(tokenizer)!,
                    VocabSize = parse.GetValue(vocabSize),
                    AllowUnknown = parse.GetValue(allowUnknown),
                },
                Cleaning = new CleaningOptions
                {
                    NormalizeUnicode = !parse.GetValue(noNfc),
                    StripMarkup = !parse.GetValue(noMarkup),
                    RemoveControlCharacters = !parse.GetValue(noControl),
                    NormalizeWhitespace = !parse.GetValue(noWhitespace),
                    DropDuplicates = !parse.GetValue(noDedupe),
                },
            };
            var progress = new Progress<string>(line => Console.Error.WriteLine($"prepare: {line}"));
            var meta = await DataPreparer.PrepareAsync(options, progress, cancellationToken);
            var splits = string.Join(", ", meta.Splits.Select(s => $"{s.Key} {s.Value.Tokens:N0} tokens"));
            Console.WriteLine($"prepared {options.OutputDirectory}: {meta.Tokenizer} vocabulary {meta.VocabSize:N0}; {splits}");
            return 0;
        });
        return command;
    }
}
