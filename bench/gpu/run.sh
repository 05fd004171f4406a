#!/usr/bin/env bash
# GPU verification on a CUDA machine with PyTorch (run from the repository root, after make_bundle.sh, .gpu carried):
#   1. TorchSharp on the machine's own libtorch (PyTorch's torch/lib), rebuilding libLibTorchSharp from
#      .gpu/libtorchsharp-src.tar.xz if the shipped one does not link against that libtorch version;
#   2. training throughput, TorchSharp vs PyTorch on the same GPU, interleaved rounds (bench + pytorch_bench.py);
#   3. one experiment on CUDA: Fashion-MNIST source (classes 0-4) → target (classes 5-9, few labels),
#      baseline / feature-extraction / fine-tune / progressive-unfreeze × 5 seeds, plus one CPU run of the same arm for the speed-up.
# Usage: bench/gpu/run.sh [all|throughput|experiment]
# Results: $OUT/gpu.jsonl (bench lines), $OUT/experiment.jsonl (one line per run), logs in $OUT/.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
G=$PWD/.gpu
torch_lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
mkdir -p /tmp/dotnet && tar -xJf "$G/dotnet.tar.xz" -C /tmp/dotnet && tar -xJf "$G/app.tar.xz" -C /tmp
G_APP=/tmp/app
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH LD_LIBRARY_PATH=$torch_lib DOTNET_CLI_TELEMETRY_OPTOUT=1
app=$G_APP/TransferHub.Training.dll
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
python3 -c 'import torch, torchvision; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "torchvision", torchvision.__version__)'

smoke() { dotnet "$app" bench --device cuda --models small-cnn --steps 3 --repeats 1 --epoch-samples 0 >"$OUT/smoke.log" 2>&1; }
if [[ -f $G/libLibTorchSharp.so ]]; then
  cp "$G/libLibTorchSharp.so" "$G_APP/"   # built by an earlier run against this same libtorch
else
  # The NuGet libLibTorchSharp is built against libtorch 2.10 (CUDA 12.8); C++ has no stable ABI across
  # libtorch versions, so it is rebuilt from TorchSharp's own sources (same version as TorchSharp.dll) against this one.
  smoke && echo "shipped libLibTorchSharp ran a smoke test on this libtorch (rebuilt anyway)" || tail -3 "$OUT/smoke.log"
  nm -D --undefined-only "$G_APP/libLibTorchSharp.so" | awk '{print $2}' | grep -v '@' | sort -u >/tmp/undef
  nm -D --defined-only "$torch_lib"/lib{torch,torch_cpu,torch_cuda,c10,c10_cuda}.so 2>/dev/null | awk '{print $3}' | sort -u >/tmp/def
  comm -23 /tmp/undef /tmp/def >"$OUT/missing-symbols.txt"
  echo "shipped libLibTorchSharp: $(wc -l <"$OUT/missing-symbols.txt") of $(wc -l </tmp/undef) symbols missing from this libtorch"
  [[ -f $G/libtorchsharp-src.tar.xz ]] || { echo "no .gpu/libtorchsharp-src.tar.xz to rebuild from"; exit 1; }
  rm -rf /tmp/tsn && mkdir -p /tmp/tsn/obj && tar -xJf "$G/libtorchsharp-src.tar.xz" -C /tmp/tsn
  inc=$(dirname "$torch_lib")/include
  src=/tmp/tsn/src/Native/LibTorchSharp
  start=$(date +%s)
  ls "$src"/*.cpp "$src"/*.c | xargs -P "$(nproc)" -I{} sh -c 'g++ -c -O2 -fPIC -std=c++17 -w -D_GLIBCXX_USE_CXX11_ABI=1 \
      -I'"$src"' -I'"$src"'/.. -I'"$inc"' -I'"$inc"'/torch/csrc/api/include -x $(case {} in *.c) echo c;; *) echo c++;; esac) {} \
      -o /tmp/tsn/obj/$(basename {}).o' 2>"$OUT/libtorchsharp-build.log" || { tail -30 "$OUT/libtorchsharp-build.log"; exit 1; }
  g++ -shared -o "$G_APP/libLibTorchSharp.so" /tmp/tsn/obj/*.o -L"$torch_lib" -Wl,--no-as-needed \
      -ltorch -ltorch_cpu -ltorch_cuda -lc10 -lc10_cuda -Wl,-rpath,"$torch_lib" || exit 1
  echo "rebuilt libLibTorchSharp in $(( $(date +%s) - start )) s"
  cp "$G_APP/libLibTorchSharp.so" "$OUT/"
fi
smoke || { cat "$OUT/smoke.log"; exit 1; }
cat "$OUT/smoke.log"

part=${1:-all}
if [[ $part == all || $part == throughput ]]; then
echo "== throughput, interleaved rounds"
for round in 1 2; do
  for cfg in "--size 64" "--size 224 --batch 128" "--size 224 --batch 128 --tf32"; do
    dotnet "$app" bench --device cuda $cfg --steps 50 --repeats 3 --epoch-samples 0 | tee -a "$OUT/gpu.jsonl"
    python3 bench/pytorch_bench.py --device cuda $cfg --steps 50 --repeats 3 | tee -a "$OUT/gpu.jsonl"
  done
done
dotnet "$app" bench --device cuda --size 64 --models none --epoch-samples 2048 | tee -a "$OUT/gpu.jsonl"

fi
[[ $part == all || $part == experiment ]] || exit 0
echo "== experiment"
mkdir -p /tmp/logs; data=/tmp/fmnist && python3 bench/gpu/fmnist_folders.py "$G/fmnist" $data 50 || exit 1
common="--arch resnet18 --image-size 32 --cache-dir /tmp/cache"
dotnet "$app" train $common --data $data/source/train --val $data/source/val --test $data/source/val --out /tmp/runs/source \
  --epochs 8 --batch 128 --patience 0 --device cuda 2>&1 | tee /tmp/logs/source.log | tail -3
for seed in 1 2 3 4 5; do
  for arm in baseline feature-extraction fine-tune progressive-unfreeze; do
    weights=""; [[ $arm != baseline ]] && weights="--weights /tmp/runs/source/model.safetensors"
    dotnet "$app" train $common --data $data/target/train --val $data/target/val --test $data/target/test \
      --strategy $arm $weights --seed $seed --epochs 30 --patience 10 --device cuda --out /tmp/runs/$arm-$seed >"/tmp/logs/$arm-$seed.log" 2>&1
    python3 - "$arm" "$seed" cuda /tmp/runs/$arm-$seed/summary.json <<'PY' | tee -a "$OUT/experiment.jsonl"
import json, sys
arm, seed, device, path = sys.argv[1:]
r = json.load(open(path))["result"]
print(json.dumps({"arm": arm, "seed": int(seed), "device": device, "testMacroF1": r["test"]["macroF1"],
                  "testAccuracy": r["test"]["accuracy"], "bestEpoch": r["bestEpoch"], "epochs": len(r["epochs"]),
                  "seconds": r["totalSeconds"], "ranOn": r["device"]}))
PY
  done
done
echo "== the same fine-tune run on this machine's CPU ($(nproc) cores), for the speed-up"
dotnet "$app" train $common --data $data/target/train --val $data/target/val --test $data/target/test \
  --strategy fine-tune --weights /tmp/runs/source/model.safetensors --seed 1 --epochs 30 --patience 10 --device cpu \
  --out /tmp/runs/cpu-fine-tune-1 >"/tmp/logs/cpu-fine-tune-1.log" 2>&1
tail -1 "/tmp/logs/cpu-fine-tune-1.log"
dotnet "$app" train $common --data $data/source/train --val $data/source/val --test $data/source/val --out /tmp/runs/source-cpu \
  --epochs 1 --batch 128 --patience 0 --device cpu 2>&1 | tail -2
tar -czf "$OUT/logs.tgz" -C /tmp logs
