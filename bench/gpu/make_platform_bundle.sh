#!/usr/bin/env bash
# Packs the whole platform for bench/gpu/platform.sh into .gpu/platform/ (git-ignored): the .NET and ASP.NET Core
# runtimes, the web app, the worker CLI and bench/Experiments, each without libtorch (the GPU machine's PyTorch
# libtorch is used) and without other operating systems' natives, plus the libLibTorchSharp that run.sh rebuilt
# against that libtorch (copy it to .gpu/libLibTorchSharp.so first). Usage: bench/gpu/make_platform_bundle.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpu/platform
rm -rf "$out" && mkdir -p "$out"
dotnet build bench/Experiments -c Release -v q -nologo >/dev/null
lean() { # folder → xz tarball without libtorch, other platforms' natives, symbols and design-time compilers
  tar -C "$1" -c --exclude='libtorch*' --exclude='libc10*' --exclude='libgomp*' --exclude='libshm*' --exclude='libaoti*' \
    --exclude='libbackend*' --exclude='libjit*' --exclude='libnnapi*' --exclude='libmsalruntime*' --exclude='.playwright' \
    --exclude='runtimes/win*' --exclude='runtimes/osx*' --exclude='runtimes/maccatalyst*' --exclude='runtimes/linux-[a-wy]*' \
    --exclude='runtimes/linux-x86' --exclude='runtimes/browser*' --exclude='*.pdb' --exclude='*.xml' \
    --exclude='Microsoft.CodeAnalysis*' . | xz -T2 -9 >"$2"
}
# Published, not built: a build's static web assets point into obj/ and the NuGet cache of this machine.
rm -rf /tmp/transferhub-web-publish && dotnet publish src/Web -c Release -o /tmp/transferhub-web-publish -v q -nologo >/dev/null
lean /tmp/transferhub-web-publish "$out/web.tar.xz"
lean src/Training/bin/Release/net10.0/linux-x64 "$out/worker.tar.xz"
lean bench/Experiments/bin/Release/net10.0 "$out/bench.tar.xz"
root=$(dirname "$(readlink -f "$(command -v dotnet)")")
tar -C "$root" -c dotnet host shared/Microsoft.NETCore.App shared/Microsoft.AspNetCore.App | xz -T2 -9 >"$out/dotnet.tar.xz"
cp .gpu/libLibTorchSharp.so "$out/"
du -sh "$out"/*
