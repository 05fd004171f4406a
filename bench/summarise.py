#!/usr/bin/python3
"""Reads the JSON lines of bench/run.sh and prints the markdown tables of docs/benchmarks.md."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
runs = {}
for r in rows:
    if r["bench"] == "train-throughput":
        runs.setdefault((r["model"], r["threads"], r["framework"]), []).extend(r["runs"])

print("| model (64 px) | batch | threads | TorchSharp samples/s | PyTorch samples/s | ratio |")
print("|---|---|---|---|---|---|")
for model, batch in (("small-cnn", 64), ("resnet18", 32)):
    for threads in (1, 2):
        ts, pt = runs.get((model, threads, "torchsharp")), runs.get((model, threads, "pytorch"))
        if ts and pt:
            # Best of all timed repeats per framework: on 2 shared cores interference only ever slows a run down.
            print(f"| {model} | {batch} | {threads} | {max(ts):.0f} | {max(pt):.0f} | {max(ts) / max(pt):.2f} |")

for r in rows:
    if r["bench"] == "epoch-time":
        print()
        print("| ResNet-18, %d px, %d training samples | value |" % (r["size"], r["samples"]))
        print("|---|---|")
        print(f"| fine-tune epoch (median of 3) | {r['fineTuneEpochSec']:.2f} s |")
        print(f"| feature-extraction epoch (median of 10, head on cached features) | {r['featureExtractionEpochSec'] * 1000:.1f} ms |")
        print(f"| one-time feature extraction (train + val + test) | {r['featureCacheSec']:.2f} s |")
        print(f"| epoch-time ratio fine-tune / feature-extraction | {r['ratio']:.0f}x |")
