#!/usr/bin/env python3
"""make crosscheck: libnn against PyTorch, same weights, same data.

Runs build/nn-crosscheck CASE (tests/crosscheck/dump_cnn.c), which prints a
small CNN's weights, inputs, one training pass's outputs, loss, gradients and
batchnorm running statistics; builds the same network in PyTorch (float64,
the reference), loads the same weights, repeats the pass and compares:
max |ours - torch| / max |torch| per array must be below 1e-4 (an array
whose reference is 0 must be below 1e-6 in absolute value).
Exit status 0 when every array of every case agrees."""
import subprocess
import sys

import torch
import torch.nn.functional as F

TOL = 1e-4


def read(binary, case):
    out = subprocess.run([binary, str(case)], check=True, capture_output=True,
                         text=True).stdout
    arrays = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            arrays[parts[0]] = torch.tensor([float(v) for v in parts[2:]],
                                            dtype=torch.float64)
    return arrays


def same_pad(n, k, s):
    """TensorFlow's "same": (before, after) so that out = ceil(n / s)."""
    out = (n + s - 1) // s
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def param(a, name, shape):
    return a[name].reshape(shape).clone().requires_grad_(True)


def case0(a, X, rows):
    """conv2d 4 3x3 valid -> batchnorm relu -> maxpool 2 -> flatten -> dense 5."""
    W0, b0 = param(a, "W0", (4, 2, 3, 3)), param(a, "b0", (4,))
    g1, be1 = param(a, "W1", (4,)), param(a, "b1", (4,))
    W4, b4 = param(a, "W4", (-1, 5)), param(a, "b4", (5,))
    rm, rv = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    z = F.conv2d(X, W0, b0)
    z = F.batch_norm(z, rm, rv, g1, be1, training=True, momentum=0.1, eps=1e-5)
    z = F.max_pool2d(F.relu(z), 2)
    logits = z.reshape(rows, -1) @ W4 + b4
    return logits, [W0, b0, g1, be1, W4, b4], ["W0", "b0", "W1", "b1", "W4", "b4"], torch.cat([rm, rv])


def case1(a, X, rows):
    """conv2d 3 [3,2] stride 2 same tanh -> avgpool 2 stride 1 -> flatten -> dense 4."""
    W0, b0 = param(a, "W0", (3, 3, 3, 2)), param(a, "b0", (3,))
    W3, b3 = param(a, "W3", (-1, 4)), param(a, "b3", (4,))
    top, bottom = same_pad(X.shape[2], 3, 2)
    left, right = same_pad(X.shape[3], 2, 2)
    z = torch.tanh(F.conv2d(F.pad(X, (left, right, top, bottom)), W0, b0, stride=2))
    z = F.avg_pool2d(z, 2, stride=1)
    logits = z.reshape(rows, -1) @ W3 + b3
    return logits, [W0, b0, W3, b3], ["W0", "b0", "W3", "b3"], torch.zeros(0, dtype=torch.float64)


def compare(name, ours, ref, tol=TOL):
    """Normwise relative error below tol; where the reference is zero (the
    gradient of a conv bias that batchnorm follows, whose mean it removes),
    absolute below tol / 100."""
    diff = (ours.reshape(-1) - ref.reshape(-1)).abs().max().item()
    scale = ref.abs().max().item()
    if scale < 1e-9:
        print(f"  {name:6s} {ref.numel():5d} values  reference 0, max |ours| {diff:.2e}")
        return diff < tol * 1e-2
    err = diff / scale
    print(f"  {name:6s} {ref.numel():5d} values  max relative error {err:.2e}")
    return err < tol


def check(binary, case):
    a = read(binary, case)
    rows = int(a["rows"][0])
    shape = [int(v) for v in a["input_shape"]]
    X = a["X"].reshape(rows, *shape)
    Y = a["Y"].reshape(rows, -1)
    logits, params, names, state = [case0, case1][case](a, X, rows)
    loss = F.cross_entropy(logits, Y.argmax(1))
    loss.backward()
    print(f"case {case}: {case0.__doc__ if case == 0 else case1.__doc__}")
    ok = compare("out", a["out"], torch.softmax(logits, 1).detach())
    ok &= compare("loss", a["loss"], loss.detach().reshape(1))
    for p, n in zip(params, names):
        ok &= compare("d" + n, a["d" + n], p.grad)
    if state.numel():
        ok &= compare("state", a["state"], state)
    return ok


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/nn-crosscheck"
    ok = all([check(binary, c) for c in (0, 1)])
    print("crosscheck:", "all within" if ok else "FAILED: not all within",
          f"{TOL:g} relative of PyTorch {torch.__version__} (float64)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
