using static TorchSharp.torch;

namespace TransferHub.Training.Data;

// Random crop (with zero padding of 1/8 of the side) and horizontal flip on an image batch [N,C,H,W].
public static class Augmentation
{
    public static Tensor CropAndFlip(Tensor images, Generator generator)
    {
        using var scope = NewDisposeScope();
        var n = images.shape[0];
        var h = images.shape[2];
        var w = images.shape[3];
        var pad = Math.Max(1, h / 8);
        var padded = nn.functional.pad(images, [pad, pad, pad, pad]);
        var offsets = randint(0, 2 * pad + 1, [n, 2], generator: generator).data<long>().ToArray();
        var flips = rand([n], generator: generator).data<float>().ToArray();
        var crops = new Tensor[n];
        for (var i = 0; i < n; i++)
        {
            var crop = padded[i].narrow(1, offsets[2 * i], h).narrow(2, offsets[2 * i + 1], w);
            crops[i] = flips[i] < 0.5f ? crop.flip(2) : crop;
        }
        return stack(crops).MoveToOuterDisposeScope();
    }
}
