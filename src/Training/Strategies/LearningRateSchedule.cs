namespace TransferHub.Training.Strategies;

// Linear warm-up to the base LR, then cosine decay to zero over the remaining steps.
public static class LearningRateSchedule
{
    public static double Factor(long step, long warmupSteps, long totalSteps)
    {
        if (warmupSteps > 0 && step < warmupSteps) return (step + 1.0) / warmupSteps;
        var decaySteps = Math.Max(1, totalSteps - warmupSteps);
        var progress = Math.Clamp((double)(step - warmupSteps) / decaySteps, 0, 1);
        return 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
