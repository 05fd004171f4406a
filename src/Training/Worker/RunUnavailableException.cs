namespace TransferHub.Training.Worker;

/// <summary>What a run needs is gone (its dataset version or its source was deleted): no attempt can succeed.</summary>
public sealed class RunUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
