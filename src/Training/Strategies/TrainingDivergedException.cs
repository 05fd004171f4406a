namespace TransferHub.Training.Strategies;

/// <summary>The training loss stopped being a number: retrying the same run would diverge the same way.</summary>
public sealed class TrainingDivergedException(int epoch, double loss, double learningRate)
    : Exception($"Training diverged at epoch {epoch}: the training loss is {loss} (learning rate {learningRate:G3}). Lower the learning rate and run again.");
