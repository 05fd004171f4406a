#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs into .gpu/ (git-ignored) for a CUDA machine that has PyTorch but no .NET:
# the .NET runtime, the Release CLI without its CPU libtorch (the machine's PyTorch libtorch is used instead),
# Fashion-MNIST (apt-get install dataset-fashion-mnist) and, when TORCHSHARP_SRC points at a TorchSharp v0.107.0
# checkout, its native sources so run.sh can rebuild libLibTorchSharp against that libtorch if the shipped one
# does not link. Usage: bench/gpu/make_bundle.sh   (then carry .gpu to the GPU machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpu
rm -rf "$out" && mkdir -p "$out/app" "$out/fmnist"
dotnet build src/Training -c Release -v q -nologo >/dev/null
cp -r src/Training/bin/Release/net10.0/linux-x64/. "$out/app/"
# Everything libtorch ships (libtorch*, libc10, libgomp, libshm, test backends) comes from the GPU machine.
find "$out/app" -maxdepth 1 -name 'lib*.so*' ! -name libLibTorchSharp.so ! -name libSkiaSharp.so -delete
root=$(dirname "$(readlink -f "$(command -v dotnet)")")
tar -C "$root" -cJf "$out/dotnet.tar.xz" dotnet host shared/Microsoft.NETCore.App
# The test set whole, the first 24 000 training images (the carried tree is capped at 64 MiB).
cp /usr/share/datasets/fashion-mnist/t10k-*.gz "$out/fmnist/"
python3 - "$out/fmnist" <<'PY'
import gzip, struct, sys
for kind, header, size in (("images-idx3", 16, 784), ("labels-idx1", 8, 1)):
    raw = gzip.open(f"/usr/share/datasets/fashion-mnist/train-{kind}-ubyte.gz").read()
    head = bytearray(raw[:header]); struct.pack_into(">I", head, 4, 24000)
    gzip.open(f"{sys.argv[1]}/train-{kind}-ubyte.gz", "wb").write(bytes(head) + raw[header:header + 24000 * size])
PY
if [[ -n "${TORCHSHARP_SRC:-}" ]]; then
  tar -C "$TORCHSHARP_SRC" -cJf "$out/libtorchsharp-src.tar.xz" src/Native/LibTorchSharp src/Native/Stdafx.h src/Native/UnixSal.h
fi
tar -C "$out" -cJf "$out/app.tar.xz" app && rm -rf "$out/app"
du -sh "$out"
