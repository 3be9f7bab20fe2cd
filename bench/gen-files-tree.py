#!/usr/bin/env python3
"""Generates a Drupal-like files tree for benchmarks, deterministically (seeded):
tens of thousands of small files (text-like, compressible), some medium images
(incompressible), a few large incompressible files, and the regenerable folders
(styles, css, js) that backups leave out.
Usage: gen-files-tree.py DIR TOTAL_MB"""
import os
import random
import sys

root, total_mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
target = total_mb * 1024 * 1024
os.makedirs(root, exist_ok=True)
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(2000)]

def text(n):
    out = []
    size = 0
    while size < n:
        w = rng.choice(words)
        out.append(w)
        size += len(w) + 1
    return (" ".join(out)[:n]).encode()

written = 0
budget_small = target * 0.35  # many small files
budget_medium = target * 0.35  # images
budget_large = target - budget_small - budget_medium  # a few big files
i = 0
while written < budget_small:
    d = os.path.join(root, "documents", f"{i // 500:03d}")
    os.makedirs(d, exist_ok=True)
    n = rng.randint(200, 24000)
    with open(os.path.join(d, f"doc-{i}.txt"), "wb") as f:
        f.write(text(n))
    written += n
    i += 1
j = 0
while written < budget_small + budget_medium:
    d = os.path.join(root, "inline-images", f"{j // 200:03d}")
    os.makedirs(d, exist_ok=True)
    n = rng.randint(50_000, 600_000)
    with open(os.path.join(d, f"image-{j}.jpg"), "wb") as f:
        f.write(os.urandom(n))
    written += n
    j += 1
k = 0
while written < target:
    n = min(int(budget_large / 4) + 1, target - written)
    with open(os.path.join(root, f"video-{k}.mp4"), "wb") as f:
        left = n
        while left > 0:
            chunk = min(left, 8 << 20)
            f.write(os.urandom(chunk))
            left -= chunk
    written += n
    k += 1
for d in ("styles/thumbnail", "css", "js"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
    for m in range(50):
        with open(os.path.join(root, d, f"gen-{m}"), "wb") as f:
            f.write(text(4000))
print(f"{root}: {written / 1048576:.0f} MiB in {i} documents, {j} images, {k} large files")
