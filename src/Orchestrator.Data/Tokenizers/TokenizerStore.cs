using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// Saves and loads tokenizers as files in a folder (a prepared dataset, a checkpoint): <c>tokenizer.json</c> always, plus
/// the standard tiktoken ranks file <c>bpe.tiktoken</c> for bpe, which Microsoft.ML.Tokenizers loads directly.
/// Loading validates everything and names the file at fault and what to do.
/// </summary>
public static class TokenizerStore
{
    /// <summary>Writes the tokenizer's files into <paramref name="directory"/> (created if needed); returns the file names written.</summary>
    public static IReadOnlyList<string> Save(ITextTokenizer tokenizer, string directory)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        TokenizerDescriptor descriptor;
        switch (tokenizer)
        {
            case CharTokenizer chars:
                descriptor = new TokenizerDescriptor
                {
                    Kind = TokenizerKind.Char,
                    VocabSize = chars.VocabSize,
                    Characters = chars.CodePoints.Select(char.ConvertFromUtf32).ToList(),
                    AllowUnknown = chars.AllowUnknown,
                };
                break;

            case ByteLevelTokenizer { Kind: TokenizerKind.Gpt2 } gpt2:
                descriptor = new TokenizerDescriptor { Kind = TokenizerKind.Gpt2, VocabSize = gpt2.VocabSize };
                break;

            case ByteLevelTokenizer { Kind: TokenizerKind.Bpe, RanksFile: { } ranks } bpe:
                WriteAtomically(Path.Combine(directory, TokenizerDescriptor.BpeRanksFileName), ranks);
                written.Add(TokenizerDescriptor.BpeRanksFileName);
                descriptor = new TokenizerDescriptor
                {
                    Kind = TokenizerKind.Bpe,
                    VocabSize = bpe.VocabSize,
                    Pattern = Gpt2PreTokenization.Pattern,
                    SpecialTokens = bpe.SpecialTokens.ToDictionary(),
                    RanksFile = TokenizerDescriptor.BpeRanksFileName,
                    RanksSha256 = Convert.ToHexStringLower(SHA256.HashData(ranks)),
                };
                break;

            default:
                throw new ArgumentException(
                    $"TokenizerStore saves the tokenizers TokenizerFactory makes (char, bpe, gpt2); got {tokenizer.GetType().Name} of kind '{tokenizer.Kind}'.", nameof(tokenizer));
        }

        // The descriptor goes last: a folder with tokenizer.json always has the files it names.
        WriteAtomically(Path.Combine(directory, TokenizerDescriptor.FileName), JsonSerializer.SerializeToUtf8Bytes(descriptor, TokenizerDescriptor.Json));
        written.Add(TokenizerDescriptor.FileName);
        return written;
    }

    /// <summary>Loads the tokenizer saved in <paramref name="directory"/>; throws <see cref="TokenizerFileException"/> naming the file when one is missing or corrupt.</summary>
    public static ITextTokenizer Load(string directory)
    {
        var descriptorPath = Path.Combine(directory, TokenizerDescriptor.FileName);
        var descriptor = ReadDescriptor(descriptorPath);
        ITextTokenizer tokenizer = descriptor.Kind switch
        {
            TokenizerKind.Char => LoadChar(descriptor, descriptorPath),
            TokenizerKind.Gpt2 => ByteLevelTokenizer.Gpt2(),
            TokenizerKind.Bpe => LoadBpe(descriptor, directory, descriptorPath),
            _ => throw Corrupt(descriptorPath, $"its kind '{descriptor.Kind}' is not one of {string.Join(", ", TokenizerKind.All)}"),
        };

        if (descriptor.VocabSize != tokenizer.VocabSize)
        {
            throw Corrupt(descriptorPath, $"it declares vocab_size {descriptor.VocabSize} but its vocabulary holds {tokenizer.VocabSize} tokens");
        }

        return tokenizer;
    }

    /// <summary>The tokenizer files present in <paramref name="directory"/> (file names), e.g. to copy into a checkpoint; empty when it holds no tokenizer.</summary>
    public static IReadOnlyList<string> FilesIn(string directory)
    {
        var descriptorPath = Path.Combine(directory, TokenizerDescriptor.FileName);
        if (!File.Exists(descriptorPath))
        {
            return [];
        }

        var descriptor = ReadDescriptor(descriptorPath);
        var files = new List<string> { TokenizerDescriptor.FileName };
        if (descriptor.RanksFile is { } ranks && File.Exists(Path.Combine(directory, ranks)))
        {
            files.Add(ranks);
        }

        return files;
    }

    private static TokenizerDescriptor ReadDescriptor(string path)
    {
        if (!File.Exists(path))
        {
            throw new TokenizerFileException(path,
                $"No tokenizer file '{path}': the folder holds no saved tokenizer. Point at a prepared dataset or checkpoint folder, or prepare the dataset again.");
        }

        try
        {
            var descriptor = JsonSerializer.Deserialize<TokenizerDescriptor>(File.ReadAllBytes(path), TokenizerDescriptor.Json)
                ?? throw Corrupt(path, "it holds JSON null");
            if (descriptor.Format != TokenizerDescriptor.CurrentFormat)
            {
                throw Corrupt(path, $"it has format {descriptor.Format}, and this version reads format {TokenizerDescriptor.CurrentFormat}");
            }

            return descriptor;
        }
        catch (JsonException e)
        {
            throw Corrupt(path, $"it is not valid tokenizer JSON ({e.Message})", e);
        }
    }

    private static CharTokenizer LoadChar(TokenizerDescriptor descriptor, string path)
    {
        if (descriptor.Characters is not { Count: > 0 } characters)
        {
            throw Corrupt(path, "a char tokenizer needs a non-empty 'characters' list");
        }

        var codePoints = new List<int>(characters.Count);
        foreach (var character in characters)
        {
            if (character is null || !Rune.TryGetRuneAt(character, 0, out var rune) || rune.Utf16SequenceLength != character.Length)
            {
                throw Corrupt(path, $"entry {codePoints.Count} of 'characters' is not exactly one character");
            }

            if (codePoints.Count > 0 && rune.Value <= codePoints[^1])
            {
                throw Corrupt(path, $"'characters' is not in ascending order at entry {codePoints.Count} (U+{rune.Value:X4})");
            }

            codePoints.Add(rune.Value);
        }

        return new CharTokenizer(codePoints, descriptor.AllowUnknown ?? false);
    }

    private static ByteLevelTokenizer LoadBpe(TokenizerDescriptor descriptor, string directory, string path)
    {
        if (descriptor.Pattern != Gpt2PreTokenization.Pattern)
        {
            throw Corrupt(path, $"its pre-tokenizer pattern differs from GPT-2's, the only one this version encodes with; train the bpe tokenizer again");
        }

        if (string.IsNullOrEmpty(descriptor.RanksFile) || descriptor.RanksFile != Path.GetFileName(descriptor.RanksFile))
        {
            throw Corrupt(path, "a bpe tokenizer needs 'ranks_file', the name of a file beside tokenizer.json");
        }

        var ranksPath = Path.Combine(directory, descriptor.RanksFile);
        if (!File.Exists(ranksPath))
        {
            throw new TokenizerFileException(ranksPath,
                $"The bpe ranks file '{ranksPath}' named by '{path}' is missing. Copy it from the folder the tokenizer was saved in (tokenizer.json and {descriptor.RanksFile} belong together), or prepare the dataset again.");
        }

        var ranks = File.ReadAllBytes(ranksPath);
        if (descriptor.RanksSha256 is { } expected && !string.Equals(expected, Convert.ToHexStringLower(SHA256.HashData(ranks)), StringComparison.OrdinalIgnoreCase))
        {
            throw new TokenizerFileException(ranksPath,
                $"The bpe ranks file '{ranksPath}' does not match the SHA-256 recorded in '{path}': it was changed or comes from another tokenizer. Copy the matching pair, or prepare the dataset again.");
        }

        return ByteLevelTokenizer.FromRanks(TokenizerKind.Bpe, ranks, descriptor.SpecialTokens ?? [], ranksPath);
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    private static TokenizerFileException Corrupt(string path, string problem, Exception? inner = null) =>
        new(path, $"Tokenizer file '{path}' is corrupt: {problem}. Re-create it by preparing the dataset again, or copy it intact from where it was saved.", inner);
}
