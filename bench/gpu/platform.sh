#!/usr/bin/env bash
# The platform on a CUDA machine (after make_platform_bundle.sh; carry .gpu/platform): the web app and a remote
# worker process on --device cuda, driven by bench/Experiments' overhead mode (an experiment queued through the API,
# claimed by the worker over the worker hub, metrics reported back) against the CLI on the same GPU.
# Usage: bench/gpu/platform.sh [epochs=10] [runs=3]
set -uo pipefail
P=$PWD/.gpu/platform
torch_lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
mkdir -p /tmp/dotnet && tar -xJf "$P/dotnet.tar.xz" -C /tmp/dotnet
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH LD_LIBRARY_PATH=$torch_lib DOTNET_CLI_TELEMETRY_OPTOUT=1
web=src/Web/bin/Release/net10.0 worker=src/Training/bin/Release/net10.0/linux-x64 bench=bench/Experiments/bin/Release/net10.0
mkdir -p $web $worker $bench
tar -xJf "$P/web.tar.xz" -C $web && tar -xJf "$P/worker.tar.xz" -C $worker && tar -xJf "$P/bench.tar.xz" -C $bench
cp "$P/libLibTorchSharp.so" $worker/ && cp "$P/libLibTorchSharp.so" $web/runtimes/linux-x64/native/
dotnet $bench/TransferHub.Bench.Experiments.dll --only overhead --remote --device cuda --epochs "${1:-10}" --runs "${2:-3}"
