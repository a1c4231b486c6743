using System.Diagnostics;
using System.Text;
using Orchestrator.Data.Cleaning;
using Orchestrator.Data.Corpus;
using Orchestrator.Data.Shards;
using Orchestrator.Data.Splitting;
using Orchestrator.Data.Tokenizers;

namespace Orchestrator.Data;

/// <summary>
/// <c>orchestrator prepare</c>: text in, token shards out. The stages run in order — read, clean, split, build the
/// tokenizer, encode, write — and everything is written into a staging directory that replaces the output only when
/// complete, so a failure at any stage leaves the output as it was.
/// </summary>
public static class DataPreparer
{
    public static async Task<DatasetMeta> PrepareAsync(PrepareOptions options, IProgress<string>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var output = Path.GetFullPath(options.OutputDirectory);
        StagingDirectory.EnsureReplaceable(output, options.Overwrite);
        var total = Stopwatch.StartNew();

        var (documents, source) = await CorpusReader.ReadAsync(options, progress, ct).ConfigureAwait(false);
        var cleaned = Clean(documents, source, options, progress, ct);
        var splits = Split(cleaned.Documents, options, progress);
        ct.ThrowIfCancellationRequested();

        var tokenizer = BuildTokenizer(splits, options, progress);
        var dtype = TokenDTypeExtensions.ForVocabulary(tokenizer.VocabSize);

        var staging = StagingDirectory.Create(output);
        try
        {
            var infos = new Dictionary<string, SplitInfo>(StringComparer.Ordinal);
            foreach (var name in DatasetSplits.Names)
            {
                ct.ThrowIfCancellationRequested();
                infos[name] = await EncodeAndWriteAsync(name, splits[name], tokenizer, dtype, staging, options, progress, ct).ConfigureAwait(false);
            }
            var tokenizerFiles = TokenizerStore.Save(tokenizer, staging);
            var meta = new DatasetMeta
            {
                ToolVersion = DatasetMeta.CurrentToolVersion,
                CreatedAt = DateTimeOffset.UtcNow,
                Tokenizer = tokenizer.Kind,
                VocabSize = tokenizer.VocabSize,
                TokenDType = dtype,
                TokenizerFiles = tokenizerFiles,
                Splits = infos,
                Source = source,
                Cleaning = cleaned.Report,
                Options = options with { OutputDirectory = output },
            };
            meta.Save(staging);
            ct.ThrowIfCancellationRequested();
            StagingDirectory.Commit(staging, output, options.Overwrite);
            progress?.Report($"done in {ProgressText.Seconds(total.Elapsed)}: {output} (vocab {meta.VocabSize}, {dtype.Name()}, " +
                             string.Join(", ", DatasetSplits.Names.Select(n => $"{n} {infos[n].Tokens:N0} tokens")) + ")");
            return meta;
        }
        finally
        {
            StagingDirectory.Discard(staging);
        }
    }

    private static CleanedCorpus Clean(IReadOnlyList<Document> documents, SourceInfo source, PrepareOptions options,
        IProgress<string>? progress, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var cleaned = TextCleaner.Clean(documents, options.Cleaning, options.MaxDegreeOfParallelism, ct);
        var r = cleaned.Report;
        progress?.Report(
            $"cleaning: {r.DocumentsIn} documents in, {r.DocumentsOut} out in {ProgressText.Seconds(watch.Elapsed)} " +
            $"({r.DuplicatesDropped} duplicates, {r.EmptyDropped} empty dropped; {r.MarkupTagsRemoved} tags, {r.EntitiesDecoded} entities, " +
            $"{r.ControlCharactersRemoved} control characters, {r.TrailingWhitespaceRemoved} trailing spaces, {r.BlankLinesRemoved} blank lines removed; " +
            $"{r.DocumentsNormalized} documents NFC-normalized)");
        if (cleaned.Documents.Count == 0)
        {
            var what = string.Join(", ", source.Inputs.Append(source.Dataset).OfType<string>());
            throw new EmptyCorpusException(
                $"Every document of the corpus ({what}) is empty after cleaning ({r.EmptyDropped} empty, {r.DuplicatesDropped} duplicates); " +
                "check the inputs, or turn off the cleaning step that empties them.");
        }
        return cleaned;
    }

    private static DatasetSplits Split(IReadOnlyList<Document> documents, PrepareOptions options, IProgress<string>? progress)
    {
        var splits = CorpusSplitter.Split(documents.Select(d => d.Text).ToList(), options.Fractions, options.Seed, options.SplitBy);
        progress?.Report("splitting: " + string.Join(", ",
            DatasetSplits.Names.Select(n => $"{n} {splits[n].Count} documents ({ProgressText.Megabytes(Utf8Bytes(splits[n]))})")));
        return splits;
    }

    private static ITextTokenizer BuildTokenizer(DatasetSplits splits, PrepareOptions options, IProgress<string>? progress)
    {
        var watch = Stopwatch.StartNew();
        // char: every character of the corpus must be encodable in every split, and so must the "\n\n" the encoder
        // puts between documents (a corpus of one-line records has no line break of its own); bpe: learned from train
        // only, so val/test measure generalization; gpt2: fixed vocabulary, documents unused.
        var needsSeparator = DatasetSplits.Names.Any(n => splits[n].Count > 1);
        IReadOnlyList<string> training = options.Tokenizer.Kind == TokenizerKind.Char
            ? [.. splits.Train, .. splits.Val, .. splits.Test, .. (needsSeparator ? new[] { "\n\n" } : [])]
            : splits.Train;
        var tokenizer = TokenizerFactory.Create(options.Tokenizer, training, progress);
        progress?.Report($"tokenizer: {tokenizer.Kind}, vocabulary {tokenizer.VocabSize} in {ProgressText.Seconds(watch.Elapsed)}");
        return tokenizer;
    }

    private static async Task<SplitInfo> EncodeAndWriteAsync(string name, IReadOnlyList<string> documents, ITextTokenizer tokenizer,
        TokenDType dtype, string staging, PrepareOptions options, IProgress<string>? progress, CancellationToken ct)
    {
        var bytes = Utf8Bytes(documents) + SeparatorBytes(tokenizer) * Math.Max(0, documents.Count - 1);
        var throughput = new ThroughputProgress($"encoding {name}", bytes, progress);
        var tokens = ParallelEncoder.EncodeDocuments(tokenizer, documents, options.MaxDegreeOfParallelism, throughput);
        progress?.Report($"encoded {name}: {documents.Count} documents, {ProgressText.Megabytes(bytes)} -> {tokens.Length:N0} tokens " +
                         $"in {ProgressText.Seconds(throughput.Elapsed)} ({ProgressText.Rate(bytes, throughput.Elapsed)})");
        var path = DatasetMeta.ShardPath(staging, name);
        TokenShardWriter.Write(path, tokens, dtype);
        var sha256 = await FileHashing.Sha256HexAsync(path, ct).ConfigureAwait(false);
        return new SplitInfo(documents.Count, bytes, tokens.Length, sha256);
    }

    /// <summary>UTF-8 bytes of the separator <see cref="ParallelEncoder"/> puts between documents: an end-of-text id encodes no text, the "\n\n" fallback two bytes.</summary>
    private static long SeparatorBytes(ITextTokenizer tokenizer) => tokenizer.EndOfTextId is null ? 2 : 0;

    private static long Utf8Bytes(IReadOnlyList<string> documents) => documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
}
