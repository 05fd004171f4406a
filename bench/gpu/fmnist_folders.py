#!/usr/bin/env python3
"""Writes the Fashion-MNIST transfer experiment of bench/gpu/run.sh as image folders (needs numpy and Pillow).

source/train, source/val: classes 0-4 (tops, trousers, dresses, coats) from the training set.
target/train: N labelled images per class of classes 5-9 (sandal, shirt, sneaker, bag, ankle boot);
target/val: the next 100 per class; target/test: every test-set image of classes 5-9.
Usage: fmnist_folders.py <folder with the four .gz files> <out> [labels per target class, default 50]
"""
import gzip
import os
import sys

import numpy as np
from PIL import Image

NAMES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def read(folder, kind):
    with gzip.open(os.path.join(folder, f"{kind}-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(folder, f"{kind}-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


def write(root, items):
    for index, (image, label) in enumerate(items):
        folder = os.path.join(root, NAMES[label])
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(image, "L").save(os.path.join(folder, f"{index:05d}.png"))


def main():
    source, out = sys.argv[1], sys.argv[2]
    per_class = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    train_x, train_y = read(source, "train")
    test_x, test_y = read(source, "t10k")
    src = [(x, y) for x, y in zip(train_x, train_y) if y < 5]
    write(os.path.join(out, "source/train"), src[:-2500])
    write(os.path.join(out, "source/val"), src[-2500:])
    for c in range(5, 10):
        picked = train_x[train_y == c]
        write(os.path.join(out, "target/train"), [(x, c) for x in picked[:per_class]])
        write(os.path.join(out, "target/val"), [(x, c) for x in picked[per_class:per_class + 100]])
    write(os.path.join(out, "target/test"), [(x, y) for x, y in zip(test_x, test_y) if y >= 5])


if __name__ == "__main__":
    main()
