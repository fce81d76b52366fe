#!/usr/bin/env python3
"""make crosscheck, sequence layers: libnn's rnn, lstm and gru against
PyTorch's nn.RNN, nn.LSTM and nn.GRU with the same weights and data.

Runs build/nn-crosscheck-rnn CASE (tests/crosscheck/dump_rnn.c) for the six
cases (each kind as a language model over an embedding with learned
positions, return_sequences and a dense softmax at every position, and over
a sequence of vectors to its last step), repeats the training pass in
PyTorch (float64, the reference) and compares the outputs, the loss (summed
over positions, averaged over rows) and every gradient: max |ours - torch|
/ max |torch| per array must be below 1e-4. libnn keeps W_ih and W_hh
transposed (D x G*H, H x G*H, for row-major products); biases as PyTorch.
Exit status 0 when every array of every case agrees."""
import sys

import torch
import torch.nn.functional as F

from torch_crosscheck import TOL, compare, read

KINDS = [("rnn", torch.nn.RNN, 1), ("lstm", torch.nn.LSTM, 4),
         ("gru", torch.nn.GRU, 3)]
STEPS, VOCAB, DIM, HIDDEN = 5, 7, 4, 6


def recurrent(a, k, module, gates):
    """The PyTorch layer holding libnn's layer k weights."""
    m = module(DIM, HIDDEN, batch_first=True).double()
    W = a[f"W{k}"]
    gh = gates * HIDDEN
    with torch.no_grad():
        m.weight_ih_l0.copy_(W[:DIM * gh].reshape(DIM, gh).T)
        m.weight_hh_l0.copy_(W[DIM * gh:].reshape(HIDDEN, gh).T)
        m.bias_ih_l0.copy_(a[f"b{k}"][:gh])
        m.bias_hh_l0.copy_(a[f"b{k}"][gh:])
    return m


def recurrent_grads(m):
    """The module's gradients in libnn's layout."""
    return (torch.cat([m.weight_ih_l0.grad.T.reshape(-1),
                       m.weight_hh_l0.grad.T.reshape(-1)]),
            torch.cat([m.bias_ih_l0.grad, m.bias_hh_l0.grad]))


def param(a, name, shape):
    return a[name].reshape(shape).clone().requires_grad_(True)


def check(binary, case):
    a = read(binary, case)
    rows = int(a["rows"][0])
    name, module, gates = KINDS[case // 2]
    lm = case % 2 == 0
    k = 1 if lm else 0
    m = recurrent(a, k, module, gates)
    if lm:
        wte, wpe = param(a, "W0", (VOCAB, DIM)), param(a, "b0", (STEPS, DIM))
        x = wte[a["X"].long().reshape(rows, STEPS)] + wpe
    else:
        x = a["X"].reshape(rows, STEPS, DIM)
    seq, _ = m(x)
    h = seq if lm else seq[:, -1, :]
    classes = VOCAB if lm else 3
    Wd, bd = param(a, f"W{k + 1}", (HIDDEN, classes)), param(a, f"b{k + 1}", (classes,))
    logits = (h @ Wd + bd).reshape(-1, classes)
    targets = a["Y"].reshape(-1, classes).argmax(1)
    loss = F.cross_entropy(logits, targets, reduction="sum") / rows
    loss.backward()
    what = "embedding -> %s every step -> dense" if lm else "%s last step -> dense"
    print(f"case {case}: {what % name}")
    ok = compare("out", a["out"], torch.softmax(logits, 1).detach())
    ok &= compare("loss", a["loss"], loss.detach().reshape(1))
    dW, db = recurrent_grads(m)
    ok &= compare(f"dW{k}", a[f"dW{k}"], dW)
    ok &= compare(f"db{k}", a[f"db{k}"], db)
    ok &= compare(f"dW{k + 1}", a[f"dW{k + 1}"], Wd.grad)
    ok &= compare(f"db{k + 1}", a[f"db{k + 1}"], bd.grad)
    if lm:
        ok &= compare("dW0", a["dW0"], wte.grad)
        ok &= compare("db0", a["db0"], wpe.grad)
    return ok


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/nn-crosscheck-rnn"
    ok = all([check(binary, c) for c in range(6)])
    print("crosscheck (sequences):", "all within" if ok else "FAILED: not all within",
          f"{TOL:g} relative of PyTorch {torch.__version__} (float64)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
