#!/usr/bin/python3
"""PyTorch side of the training-throughput benchmark (Debian python3-torch / python3-torchvision).

Mirrors `TransferHub.Training bench`: the same small CNN (3 conv-BN-ReLU blocks, width 32, global average
pool, linear head) and torchvision's ResNet-18, one fixed random batch, SGD (lr 0.01, momentum 0.9) on
cross-entropy, 3 warm-up steps, then `steps` timed steps; median of `repeats`. One JSON object per line.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class SmallCnn(nn.Module):
    def __init__(self, num_classes, in_channels=3, width=32):
        super().__init__()

        def block(cin, cout, pool):
            layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
            if pool:
                layers.append(nn.MaxPool2d(2))
            return nn.Sequential(*layers)

        self.block1 = block(in_channels, width, True)
        self.block2 = block(width, width * 2, True)
        self.block3 = block(width * 2, width * 4, False)
        self.head = nn.Linear(width * 4, num_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(x)))
        return self.head(x.mean(dim=(2, 3)))


def make(name):
    if name == "small-cnn":
        return SmallCnn(10)
    if name == "resnet18":
        return torchvision.models.resnet18(num_classes=10)
    raise SystemExit(f"unknown model {name}")


def throughput(name, batch, size, steps, device):
    torch.manual_seed(0)
    model = make(name).to(device).train()
    x = torch.randn(batch, 3, size, size).to(device)
    y = torch.randint(0, 10, (batch,)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(3):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return batch * steps / (time.perf_counter() - start)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--models", default="small-cnn,resnet18")
    parser.add_argument("--batch", type=int, default=0, help="0: 64 for the small CNN, 32 for ResNet-18")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--tf32", action="store_true", help="CUDA: TF32 matrix products (convolutions use it by default)")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.set_flush_denormal(True)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    for name in args.models.split(","):
        batch = args.batch or (64 if name == "small-cnn" else 32)
        runs = sorted(throughput(name, batch, args.size, args.steps, device) for _ in range(args.repeats))
        print(json.dumps({"bench": "train-throughput", "framework": "pytorch", "torch": torch.__version__,
                          "model": name, "batch": batch, "size": args.size, "steps": args.steps,
                          "threads": torch.get_num_threads(), "device": str(device), "tf32": args.tf32, "samplesPerSec": statistics.median(runs), "runs": runs}),
              flush=True)


if __name__ == "__main__":
    main()
