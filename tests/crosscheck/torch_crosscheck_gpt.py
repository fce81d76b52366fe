#!/usr/bin/env python3
"""make crosscheck, transformer: libnn's GPT against a nanoGPT-style
PyTorch model with the same weights and data.

Runs build/nn-crosscheck-gpt CASE (tests/crosscheck/dump_gpt.c) for its two
cases (token ids -> embedding with learned positions -> two transformer
blocks -> layernorm -> dense softmax at every position), builds the same
model below (with bench/torch_gpt.py's blocks, nanoGPT's CausalSelfAttention,
MLP and Block: pre-norm, fused c_attn, causal mask, GELU in its tanh form;
the head is an untied Linear with a bias, as libnn's dense), loads libnn's weights, repeats the training
pass in float64 (the reference) and compares the outputs, the loss (summed
over positions, averaged over rows) and every gradient: max |ours - torch|
/ max |torch| per array must be below 1e-4. libnn keeps each matrix as
(in, out) for x W, so a Linear's weight is its transpose. Exit status 0
when every array of both cases agrees."""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_crosscheck import TOL, compare, read

# The blocks are the bench's (bench/torch_gpt.py), so the PyTorch model
# make bench times is the one checked here against libnn.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bench"))
from torch_gpt import Block  # noqa: E402

STEPS, VOCAB, DIM = 8, 11, 16
CASES = [((4, 2), (4, 4)), ((1, 8), (2, 3))]


class GPT(nn.Module):
    def __init__(self, heads, ratios):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, DIM)
        self.wpe = nn.Embedding(STEPS, DIM)
        self.h = nn.ModuleList(Block(DIM, n, r, STEPS)
                               for n, r in zip(heads, ratios))
        self.ln_f = nn.LayerNorm(DIM)
        self.lm_head = nn.Linear(DIM, VOCAB)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.size(1)))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def block_tensors(b):
    """A block's tensors in libnn's order: W (matrices, as (in, out)) and b."""
    mats = [b.attn.c_attn.weight, b.attn.c_proj.weight, b.mlp.c_fc.weight,
            b.mlp.c_proj.weight]
    vecs = [b.ln_1.weight, b.ln_1.bias, b.attn.c_attn.bias, b.attn.c_proj.bias,
            b.ln_2.weight, b.ln_2.bias, b.mlp.c_fc.bias, b.mlp.c_proj.bias]
    return mats, vecs


def load(m, a):
    """libnn's layers 0..4 into the model's parameters."""
    with torch.no_grad():
        m.wte.weight.copy_(a["W0"].reshape(VOCAB, DIM))
        m.wpe.weight.copy_(a["b0"].reshape(STEPS, DIM))
        for k, b in enumerate(m.h, start=1):
            mats, vecs = block_tensors(b)
            W, at = a[f"W{k}"], 0
            for p in mats:
                n_out, n_in = p.shape
                p.copy_(W[at:at + n_in * n_out].reshape(n_in, n_out).T)
                at += n_in * n_out
            bias, at = a[f"b{k}"], 0
            for p in vecs:
                p.copy_(bias[at:at + p.numel()])
                at += p.numel()
        m.ln_f.weight.copy_(a["b3"][:DIM])
        m.ln_f.bias.copy_(a["b3"][DIM:])
        m.lm_head.weight.copy_(a["W4"].reshape(DIM, VOCAB).T)
        m.lm_head.bias.copy_(a["b4"])


def grads(m):
    """The model's gradients in libnn's layout, name -> flat tensor."""
    g = {"dW0": m.wte.weight.grad.reshape(-1), "db0": m.wpe.weight.grad.reshape(-1)}
    for k, b in enumerate(m.h, start=1):
        mats, vecs = block_tensors(b)
        g[f"dW{k}"] = torch.cat([p.grad.T.reshape(-1) for p in mats])
        g[f"db{k}"] = torch.cat([p.grad for p in vecs])
    g["db3"] = torch.cat([m.ln_f.weight.grad, m.ln_f.bias.grad])
    g["dW4"] = m.lm_head.weight.grad.T.reshape(-1)
    g["db4"] = m.lm_head.bias.grad
    return g


def check(binary, case):
    a = read(binary, case)
    rows = int(a["rows"][0])
    heads, ratios = CASES[case]
    m = GPT(heads, ratios).double()
    load(m, a)
    logits = m(a["X"].long().reshape(rows, STEPS)).reshape(-1, VOCAB)
    targets = a["Y"].reshape(-1, VOCAB).argmax(1)
    loss = F.cross_entropy(logits, targets, reduction="sum") / rows
    loss.backward()
    print(f"case {case}: embedding -> blocks of {heads} heads, mlp_ratio "
          f"{ratios} -> layernorm -> dense")
    ok = compare("out", a["out"], torch.softmax(logits, 1).detach())
    ok &= compare("loss", a["loss"], loss.detach().reshape(1))
    for name, ref in grads(m).items():
        ok &= compare(name, a[name], ref)
    return ok


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/nn-crosscheck-gpt"
    ok = all([check(binary, c) for c in range(len(CASES))])
    print("crosscheck (transformer):", "all within" if ok else "FAILED: not all within",
          f"{TOL:g} relative of PyTorch {torch.__version__} (float64)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
