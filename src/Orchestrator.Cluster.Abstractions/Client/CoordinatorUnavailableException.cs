namespace Orchestrator.Cluster.Client;

/// <summary>The coordinator (its Orleans gateway or its control API) could not be reached at the given address.</summary>
public sealed class CoordinatorUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
