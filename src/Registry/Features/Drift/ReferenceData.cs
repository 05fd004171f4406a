namespace TransferHub.Registry.Features.Drift;

/// <summary>The reference a version's production traffic is compared with: its predictions on held-out items.</summary>
public sealed record ReferenceData(int[] ClassCounts, double[] Confidences, double[] InputStats, float[][] Embeddings);
