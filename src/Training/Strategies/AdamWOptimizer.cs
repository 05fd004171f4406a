using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

// AdamW (decoupled weight decay) with torch.optim.AdamW's update, in place of TorchSharp's. Its step hands temporary
// Scalars (implicit double conversions, and the hidden alpha of add_(x)) to native calls; nothing keeps them alive
// during the call, so the finalizer thread can free one mid-call — "Expected false to be true … Scalar.h:140" in CI,
// 64 tests lost to one hit in a shared fixture. Every Scalar here is held by a using until its call has returned.
internal sealed class AdamWOptimizer : IDisposable
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;
    private const string Magic = "TH-ADAMW-1";

    private readonly double weightDecay;
    private readonly List<Group> groups;

    public AdamWOptimizer(IEnumerable<(IEnumerable<Parameter> Parameters, double LearningRate)> groups, double weightDecay)
    {
        this.weightDecay = weightDecay;
        this.groups = groups.Select(g => new Group(g.Parameters.ToList(), g.LearningRate)).ToList();
    }

    public IReadOnlyList<Group> Groups => groups;

    public void ZeroGrad()
    {
        foreach (var p in groups.SelectMany(g => g.Parameters))
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    public void Step()
    {
        using var noGrad = no_grad();
        using var one = 1.ToScalar();
        using var beta1 = Beta1.ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        foreach (var group in groups)
        {
            using var decay = (1 - group.LearningRate * weightDecay).ToScalar();
            for (var i = 0; i < group.Parameters.Count; i++)
            {
                var p = group.Parameters[i];
                using var grad = p.grad;
                if (grad is null) continue;
                var m = group.Moments[i];
                m.Step++;
                var biasCorrection1 = 1 - Math.Pow(Beta1, m.Step);
                var biasCorrection2 = 1 - Math.Pow(Beta2, m.Step);
                using var rootBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
                using var stepSize = (-group.LearningRate / biasCorrection1).ToScalar();

                if (weightDecay != 0) p.mul_(decay);
                m.Mean.mul_(beta1).add_(grad, oneMinusBeta1);
                m.Square.mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
                using var denominator = m.Square.sqrt();
                denominator.div_(rootBiasCorrection2).add_(epsilon, one);
                p.addcdiv_(m.Mean, denominator, stepSize);
            }
        }
    }

    // Steps and moments of every parameter, in group order; a resumed run continues exactly where it stopped.
    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(Magic);
        foreach (var m in groups.SelectMany(g => g.Moments))
        {
            writer.Write(m.Step);
            WriteFloats(writer, m.Mean);
            WriteFloats(writer, m.Square);
        }
    }

    public void Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadString() != Magic) throw new InvalidDataException($"{path} is not a TransferHub AdamW state.");
        foreach (var m in groups.SelectMany(g => g.Moments))
        {
            m.Step = reader.ReadInt64();
            ReadFloats(reader, m.Mean);
            ReadFloats(reader, m.Square);
        }
    }

    public void Dispose()
    {
        foreach (var m in groups.SelectMany(g => g.Moments)) m.Dispose();
    }

    private static void WriteFloats(BinaryWriter writer, Tensor tensor)
    {
        using var cpu = tensor.cpu();
        var values = cpu.data<float>().ToArray();
        writer.Write(values.Length);
        foreach (var v in values) writer.Write(v);
    }

    private static void ReadFloats(BinaryReader reader, Tensor target)
    {
        var length = reader.ReadInt32();
        if (length != target.numel()) throw new InvalidDataException($"Optimizer state has {length} values for a parameter of {target.numel()}.");
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = reader.ReadSingle();
        using var loaded = tensor(values, target.shape);
        using var noGrad = no_grad();
        target.copy_(loaded);
    }

    public sealed class Group
    {
        internal Group(IReadOnlyList<Parameter> parameters, double learningRate)
        {
            Parameters = parameters;
            LearningRate = learningRate;
            // Created outside any caller's dispose scope: the moments live as long as the optimizer.
            Moments = parameters.Select(p => new Moments(zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope())).ToList();
        }

        public IReadOnlyList<Parameter> Parameters { get; }

        public double LearningRate { get; set; }

        internal IReadOnlyList<Moments> Moments { get; }
    }

    internal sealed class Moments(Tensor mean, Tensor square) : IDisposable
    {
        public long Step { get; set; }

        public Tensor Mean { get; } = mean;

        public Tensor Square { get; } = square;

        public void Dispose()
        {
            Mean.Dispose();
            Square.Dispose();
        }
    }
}
