namespace TransferHub.Shared.Training;

/// <summary>Everything a worker needs to run one arm × seed × label fraction.</summary>
/// <param name="Architecture">Registry name, e.g. <c>small-cnn</c>, <c>resnet18</c>.</param>
/// <param name="Strategy">The transfer arm.</param>
/// <param name="Seed">Seeds init, shuffling and augmentation; same seed on CPU gives the same metrics.</param>
/// <param name="Epochs">Upper bound; early stopping may end sooner.</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="LearningRate">Base learning rate of the backbone (of everything for the baseline).</param>
/// <param name="HeadLearningRate">Learning rate of a new head; null means <paramref name="LearningRate"/>.</param>
/// <param name="WeightDecay">AdamW weight decay.</param>
/// <param name="WarmupEpochs">Linear warm-up before cosine decay.</param>
/// <param name="Patience">Epochs without a better validation macro-F1 before stopping; 0 disables early stopping.</param>
/// <param name="SourceWeights">Path of source weights (safetensors or checkpoint); null for the baseline.</param>
/// <param name="Device">"auto", "cpu", "cuda", "cuda:N".</param>
/// <param name="Augment">Random crop and horizontal flip on training images.</param>
/// <param name="LayerDecay">Progressive unfreeze: each lower block's LR is this fraction of the one above.</param>
/// <param name="BalanceClasses">Weight the loss by inverse class frequency.</param>
/// <param name="ShapeWeights">A weights file whose shape (text-bert: config and vocabulary) a sourceless arm takes, without its
/// values: so the baseline of a text-bert experiment is the source's architecture from scratch.</param>
/// <param name="Steps">A budget in optimizer steps: when set, epochs follow from it and the training split's size (see
/// <see cref="StepBudget"/>) and <paramref name="Epochs"/> and <paramref name="Patience"/> are ignored.</param>
/// <param name="PatienceSteps">With <paramref name="Steps"/>: steps without a better validation macro-F1 before stopping
/// (default a quarter of the budget; 0 disables early stopping).</param>
/// <param name="EvaluateEverySteps">With <paramref name="Steps"/>: steps between validation passes (default about 25 per run).</param>
/// <param name="FindLearningRate">Choose the learning rate by a short sweep before training (see <see cref="LearningRateSearch"/>);
/// the ratio of <paramref name="HeadLearningRate"/> to <paramref name="LearningRate"/> is kept.</param>
public sealed record TrainingJobSpec(
    string Architecture,
    TrainingStrategy Strategy,
    int Seed = 1,
    int Epochs = 10,
    int BatchSize = 32,
    double LearningRate = 1e-3,
    double? HeadLearningRate = null,
    double WeightDecay = 1e-4,
    int WarmupEpochs = 1,
    int Patience = 5,
    string? SourceWeights = null,
    string Device = "auto",
    bool Augment = false,
    double LayerDecay = 0.5,
    bool BalanceClasses = false,
    string? ShapeWeights = null,
    int? Steps = null,
    int? PatienceSteps = null,
    int? EvaluateEverySteps = null,
    bool FindLearningRate = false);
