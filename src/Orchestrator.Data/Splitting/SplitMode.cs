namespace Orchestrator.Data.Splitting;

/// <summary>How the corpus is cut into train/val/test.</summary>
public enum SplitMode
{
    /// <summary>By document, except that a corpus of one document is cut into spans.</summary>
    Auto,

    /// <summary>Whole documents go to one split each: no text of a validation document was seen in training.</summary>
    Documents,

    /// <summary>Every document is cut into a train, a val and a test span (nanoGPT's 90/10 cut of tinyshakespeare).</summary>
    Spans,
}
