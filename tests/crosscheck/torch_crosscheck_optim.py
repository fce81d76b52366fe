#!/usr/bin/env python3
"""make crosscheck, training options: libnn's AdamW, learning-rate schedule
and global-norm clipping against torch.optim.AdamW, torch.nn.utils.
clip_grad_norm_ and nanoGPT's get_lr, same weights, same data.

Runs build/nn-crosscheck-optim (tests/crosscheck/dump_optim.c), which trains
a 5-6-3 tanh/softmax classifier for 12 steps of 4 rows (no shuffle) and
prints the initial and final weights; repeats the 12 steps in PyTorch
(float64, the reference): per step the scheduled rate, the batch-mean
cross-entropy, clipping of the whole gradient, then AdamW with weight decay
on the weight matrices and none on the biases (two parameter groups, as
nanoGPT's configure_optimizers). Every final array must agree within 1e-5
relative (max |ours - torch| / max |torch|). Exit status 0 when all do."""
import math
import subprocess
import sys

import torch
import torch.nn.functional as F

from torch_crosscheck import compare

TOL = 1e-5


def read(binary):
    out = subprocess.run([binary], check=True, capture_output=True,
                         text=True).stdout
    arrays = {}
    for line in out.splitlines():
        parts = line.split()
        arrays[parts[0]] = torch.tensor([float(v) for v in parts[2:]],
                                        dtype=torch.float64)
    return arrays


def get_lr(it, lr, warmup, decay_iters, min_lr):
    """nanoGPT's train.py get_lr, with lr_decay_iters the last step."""
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay_iters:
        return min_lr
    ratio = (it - warmup) / (decay_iters - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/nn-crosscheck-optim"
    a = read(binary)
    lr, wd, warmup, min_lr, clip, batch, epochs = a["cfg"].tolist()
    warmup, batch, epochs = int(warmup), int(batch), int(epochs)
    X, Y = a["X"].reshape(-1, 5), a["Y"].reshape(-1, 3).argmax(1)
    rows = X.shape[0]
    W = [a["W0"].reshape(5, 6).clone().requires_grad_(True),
         a["W1"].reshape(6, 3).clone().requires_grad_(True)]
    b = [a["b0"].clone().requires_grad_(True), a["b1"].clone().requires_grad_(True)]
    opt = torch.optim.AdamW([{"params": W, "weight_decay": wd},
                             {"params": b, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.999), eps=1e-8)
    steps = epochs * ((rows + batch - 1) // batch)
    step = clipped = 0
    for _ in range(epochs):
        for start in range(0, rows, batch):
            rate = get_lr(step, lr, warmup, steps - 1, min_lr)
            for g in opt.param_groups:
                g["lr"] = rate
            opt.zero_grad()
            xb, yb = X[start:start + batch], Y[start:start + batch]
            logits = torch.tanh(xb @ W[0] + b[0]) @ W[1] + b[1]
            F.cross_entropy(logits, yb).backward()
            clipped += torch.nn.utils.clip_grad_norm_(W + b, clip).item() > clip
            opt.step()
            step += 1
    print(f"optim: adamw lr {lr:g} wd {wd:g}, warmup {warmup} + cosine to "
          f"{min_lr:g} over {steps} steps, clip {clip:g} (clipped {clipped} steps)")
    ok = True
    for k in range(2):
        ok &= compare(f"W{k}", a[f"fW{k}"], W[k].detach(), TOL)
        ok &= compare(f"b{k}", a[f"fb{k}"], b[k].detach(), TOL)
    moved = (a["fW0"] - a["W0"]).abs().max().item()
    ok &= moved > 1e-3 and clipped > 0  # the run trained, clipping acted
    print("crosscheck (optim):", "all within" if ok else "FAILED: not all within",
          f"{TOL:g} relative of PyTorch {torch.__version__} (float64)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
