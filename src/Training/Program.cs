// The engine (train, score, bench) and the remote worker arrive with the training-engine and
// experiments issues; until then the CLI says so instead of pretending to train.
Console.Error.WriteLine("TransferHub.Training: the training engine is not part of this build yet.");
Console.Error.WriteLine("Commands planned: train, score, bench, worker.");
return 2;
