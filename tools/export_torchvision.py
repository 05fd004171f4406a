#!/usr/bin/python3
"""Writes a torchvision model's state dict and one reference input/output pair as safetensors, so
`TransferHub.Training verify` can check that our modules load torchvision weights one to one.

    /usr/bin/python3 tools/export_torchvision.py --arch resnet18 --classes 10 --out /tmp/tv
    dotnet src/Training/bin/Release/net10.0/linux-x64/TransferHub.Training.dll verify --arch resnet18 \
        --weights /tmp/tv/resnet18.safetensors --io /tmp/tv/resnet18-io.safetensors

Needs Debian's python3-torch and python3-torchvision; the safetensors writer below uses only the stdlib + numpy.
"""
import argparse
import json
import os
import struct

import torch
import torchvision

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.float16: "F16"}


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="resnet18", choices=["resnet18", "resnet34", "resnet50", "mobilenet_v2", "efficientnet_b0"])
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = getattr(torchvision.models, args.arch)(num_classes=args.classes)
    with torch.no_grad():  # non-trivial BatchNorm statistics, so buffers are checked too
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0, 0.1)
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
    model.eval()
    x = torch.randn(2, 3, args.size, args.size)
    with torch.no_grad():
        y = model(x)
    os.makedirs(args.out, exist_ok=True)
    ours = args.arch.replace("_", "-")
    write_safetensors(os.path.join(args.out, f"{args.arch}.safetensors"), model.state_dict(),
                      {"architecture": ours, "num_classes": str(args.classes)})
    write_safetensors(os.path.join(args.out, f"{args.arch}-io.safetensors"), {"input": x, "output": y})
    print(f"wrote {args.out}/{args.arch}.safetensors ({len(model.state_dict())} tensors)")


if __name__ == "__main__":
    main()
