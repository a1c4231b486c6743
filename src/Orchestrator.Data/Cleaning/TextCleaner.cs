using Orchestrator.Data.Corpus;

namespace Orchestrator.Data.Cleaning;

/// <summary>
/// Runs the enabled cleaning steps over a corpus in a fixed order and totals what each changed.
/// Order matters: markup first (entities may decode to characters the later steps handle), then NFC, control
/// characters, whitespace (which also absorbs spaces left where tags were), and finally empty and duplicate removal on
/// the cleaned text. Documents are cleaned in parallel; the surviving order is the input order.
/// </summary>
public static class TextCleaner
{
    public static CleanedCorpus Clean(IReadOnlyList<Document> documents, CleaningOptions options, int maxDegreeOfParallelism, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(options);
        var cleaned = new Document[documents.Count];
        var counts = new StepCounts[documents.Count];
        Parallel.For(0, documents.Count,
            new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = maxDegreeOfParallelism },
            i => cleaned[i] = documents[i] with { Text = CleanOne(documents[i].Text, options, out counts[i]) });

        var kept = new List<Document>(cleaned.Length);
        var duplicates = new DuplicateFilter();
        long empty = 0, repeated = 0, charactersIn = 0, charactersOut = 0;
        foreach (var document in documents)
        {
            charactersIn += document.Text.Length;
        }
        foreach (var document in cleaned)
        {
            ct.ThrowIfCancellationRequested();
            if (options.DropEmpty && string.IsNullOrWhiteSpace(document.Text))
            {
                empty++;
                continue;
            }
            if (options.DropDuplicates && !duplicates.IsFirstOccurrence(document.Text))
            {
                repeated++;
                continue;
            }
            charactersOut += document.Text.Length;
            kept.Add(document);
        }

        var report = new CleaningReport
        {
            DocumentsIn = documents.Count,
            DocumentsOut = kept.Count,
            CharactersIn = charactersIn,
            CharactersOut = charactersOut,
            DocumentsNormalized = counts.Count(c => c.Normalized),
            LoneSurrogatesReplaced = counts.Sum(c => (long)c.SurrogatesReplaced),
            MarkupTagsRemoved = counts.Sum(c => (long)c.TagsRemoved),
            EntitiesDecoded = counts.Sum(c => (long)c.EntitiesDecoded),
            ControlCharactersRemoved = counts.Sum(c => (long)c.ControlCharactersRemoved),
            LineEndingsConverted = counts.Sum(c => (long)c.Whitespace.LineEndingsConverted),
            TrailingWhitespaceRemoved = counts.Sum(c => (long)c.Whitespace.TrailingWhitespaceRemoved),
            BlankLinesRemoved = counts.Sum(c => (long)c.Whitespace.BlankLinesRemoved),
            DuplicatesDropped = repeated,
            EmptyDropped = empty,
        };
        return new CleanedCorpus(kept, report);
    }

    private static string CleanOne(string text, CleaningOptions options, out StepCounts counts)
    {
        counts = default;
        if (options.StripMarkup)
        {
            text = MarkupStripper.Strip(text, out counts.TagsRemoved, out counts.EntitiesDecoded);
        }
        if (options.NormalizeUnicode)
        {
            text = UnicodeNormalizer.ToNfc(text, out counts.Normalized, out counts.SurrogatesReplaced);
        }
        if (options.RemoveControlCharacters)
        {
            text = ControlCharacterFilter.Remove(text, out counts.ControlCharactersRemoved);
        }
        if (options.NormalizeWhitespace)
        {
            text = WhitespaceNormalizer.Normalize(text, out counts.Whitespace);
        }
        return text;
    }

    private struct StepCounts
    {
        public int TagsRemoved;
        public int EntitiesDecoded;
        public bool Normalized;
        public int SurrogatesReplaced;
        public int ControlCharactersRemoved;
        public WhitespaceNormalizer.Counts Whitespace;
    }
}
