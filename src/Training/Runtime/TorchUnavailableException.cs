namespace TransferHub.Training.Runtime;

// The native torch backend or the requested device is missing; the message says what to install or fix.
public sealed class TorchUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
