#!/usr/bin/env bash
# Training throughput TorchSharp vs PyTorch on this machine (interleaved rounds, 1 and 2 threads each),
# then the feature-extraction vs fine-tune epoch-time ratio of our trainer.
# Needs: apt-get install -y python3-torch python3-torchvision (run with /usr/bin/python3, not a pyenv python).
# Usage: bench/run.sh [rounds=2]   Results: bench/results/<UTC time>.jsonl and a markdown summary on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
dotnet build src/Training -c Release -v q -nologo >/dev/null
dll=src/Training/bin/Release/net10.0/linux-x64/TransferHub.Training.dll
mkdir -p bench/results
out=bench/results/$(date -u +%Y%m%dT%H%M%SZ).jsonl
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    dotnet "$dll" bench --size 64 --steps 30 --repeats 3 --threads "$threads" --epoch-samples 0 | tee -a "$out"
    /usr/bin/python3 bench/pytorch_bench.py --size 64 --steps 30 --repeats 3 --threads "$threads" | tee -a "$out"
  done
done
dotnet "$dll" bench --size 64 --models none --epoch-samples 512 | tee -a "$out"
/usr/bin/python3 bench/summarise.py "$out"
