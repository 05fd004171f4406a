#!/usr/bin/python3
"""Reads the JSON lines of bench/run.sh and prints the markdown tables of docs/benchmarks.md."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
best = {}
for r in rows:
    if r["bench"] == "train-throughput":
        key = (r["model"], r["framework"])
        best.setdefault(key, []).append(r["samplesPerSec"])

print("| model (64 px) | batch | TorchSharp samples/s | PyTorch samples/s | ratio TorchSharp/PyTorch |")
print("|---|---|---|---|---|")
for model, batch in (("small-cnn", 64), ("resnet18", 32)):
    ts, pt = best.get((model, "torchsharp")), best.get((model, "pytorch"))
    if ts and pt:
        # Best of the interleaved rounds per framework: interference on 2 cores only ever slows a run down.
        print(f"| {model} | {batch} | {max(ts):.0f} | {max(pt):.0f} | {max(ts) / max(pt):.2f} |")

for r in rows:
    if r["bench"] == "epoch-time":
        print()
        print("| ResNet-18, %d px, %d samples | feature-extraction epoch | fine-tune epoch | ratio | one-time feature extraction |" % (r["size"], r["samples"]))
        print("|---|---|---|---|---|")
        print(f"| TorchSharp | {r['featureExtractionEpochSec'] * 1000:.1f} ms | {r['fineTuneEpochSec']:.2f} s | {r['ratio']:.0f}x | {r['featureCacheSec']:.2f} s |")
