using Orchestrator.Data.Corpus;

namespace Orchestrator.Data.Cleaning;

/// <summary>The documents that survived cleaning, in input order, and what cleaning did.</summary>
public sealed record CleanedCorpus(IReadOnlyList<Document> Documents, CleaningReport Report);
