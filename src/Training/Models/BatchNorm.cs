using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Models;

// BatchNorm2d with torchvision's state-dict names (weight, bias, running_mean, running_var, num_batches_tracked), in
// place of TorchSharp's: its training-mode forward counts batches with num_batches_tracked.add_(1), two temporary
// Scalars nothing keeps alive during the native call, which the finalizer thread freed mid-call under the stress
// bench ("Unknown scalar type"). The Scalar here is held until the call has returned.
public sealed class BatchNorm : nn.Module<Tensor, Tensor>
{
    private const double Momentum = 0.1;
    private const double Epsilon = 1e-5;

    public BatchNorm(long features) : base(nameof(BatchNorm))
    {
        register_parameter("weight", new Parameter(ones(features)));
        register_parameter("bias", new Parameter(zeros(features)));
        register_buffer("running_mean", zeros(features));
        register_buffer("running_var", ones(features));
        register_buffer("num_batches_tracked", tensor(0L));
    }

    public Parameter Weight => get_parameter("weight")!;

    public Parameter Bias => get_parameter("bias")!;

    public override Tensor forward(Tensor input)
    {
        if (training)
        {
            using var noGrad = no_grad();
            using var one = 1L.ToScalar();
            get_buffer("num_batches_tracked")!.add_(one, one);
        }
        return nn.functional.batch_norm(input, get_buffer("running_mean")!, get_buffer("running_var")!, Weight, Bias, training, Momentum, Epsilon);
    }
}
