#!/usr/bin/env bash
# Peak memory (max RSS of the process, GNU time) per transfer strategy, one fresh process each:
#  1. the same training loop (ResNet-18, batch 32, 64 px, 30 SGD steps) in TorchSharp (`bench`) and in PyTorch
#     (bench/pytorch_bench.py) — the same-run reference;
#  2. `train` with each strategy: ResNet-18 at 64 px on 1 024 synthetic shapes (batch 32, 2 epochs), and text-bert
#     (BERT-tiny shape) on 2 000 JSONL reviews; transfer arms start from the baseline's model.
# Needs: apt-get install -y python3-torch python3-torchvision time. Usage: bench/memory.sh   (prints a markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Training -c Release -v q -nologo >/dev/null
dll=src/Training/bin/Release/net10.0/linux-x64/TransferHub.Training.dll
work=$(mktemp -d /tmp/transferhub-memory-XXXX)
trap 'rm -rf "$work"' EXIT
peak() { /usr/bin/time -f "%M" -o "$work/rss" "$@" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }; echo $(( $(cat "$work/rss") / 1024 )); }

ts=$(peak dotnet "$dll" bench --models resnet18 --size 64 --steps 30 --repeats 1 --epoch-samples 0)
py=$(peak /usr/bin/python3 bench/pytorch_bench.py --models resnet18 --size 64 --steps 30 --repeats 1)
echo "| training loop (ResNet-18, batch 32, 64 px) | TorchSharp $ts MiB | PyTorch $py MiB | ratio $(awk "BEGIN { printf \"%.2f\", $ts / $py }") |"

/usr/bin/python3 - "$work/reviews.jsonl" <<'PY'
import json, random, sys
random.seed(1)
good, bad = ["great", "excellent", "lovely", "superb"], ["awful", "terrible", "poor", "boring"]
filler = ["the", "film", "was", "really", "and", "plot", "acting", "quite", "story", "ending", "a", "very"]
with open(sys.argv[1], "w") as f:
    for i in range(2000):
        words = [random.choice(filler) for _ in range(30)]
        words.insert(random.randrange(30), random.choice(good if i % 2 == 0 else bad))
        f.write(json.dumps({"text": " ".join(words), "label": "pos" if i % 2 == 0 else "neg"}) + "\n")
PY

echo "| architecture | strategy | peak RSS (MiB) |"
echo "|---|---|---|"
for arch in resnet18 text-bert; do
  if [ "$arch" = resnet18 ]; then data=(--data synthetic:shapes:1024 --image-size 64); else data=(--data "$work/reviews.jsonl"); fi
  for strategy in baseline feature-extraction fine-tune progressive-unfreeze; do
    weights=(); [ "$strategy" = baseline ] || weights=(--weights "$work/$arch-baseline/model.safetensors")
    mib=$(peak dotnet "$dll" train --arch "$arch" --strategy "$strategy" "${data[@]}" "${weights[@]}" \
      --epochs 2 --batch 32 --patience 0 --out "$work/$arch-$strategy" --cache-dir "$work/cache" --device cpu)
    echo "| $arch | $strategy | $mib |"
  done
done
