#!/usr/bin/env python3
"""PyTorch reference for `make bench`: the same network, data, batch and
optimizer as build/bench-train, so the two rates can be compared in one run.

usage: torch_ref.py --layers 256,128 | --model FILE.json
                    --batch 128 --epochs N --threads T
                    --optimizer sgd|adam --lr X --momentum M --lr-decay D
                    --seed S [--limit N]
       torch_ref.py --text FILE --context 64 --embed 64 --units 256
                    --batch 32 --steps N --every N --lr X --clip C
                    --threads T --seed S
--model takes the JSON a POST /v1/models body is (input_shape, typed layers:
dense, conv2d, maxpool2d, avgpool2d, flatten, dropout, batchnorm) and builds
the same stack; "same" padding is TensorFlow's, as neurond pads.
Prints, last, `RESULT samples_per_s=<n> test_acc=<x>`. Data is read from the
Debian package dataset-fashion-mnist and kept in memory as float32 tensors
scaled to [0,1] then standardised per pixel on the training set (as
bench-train does by default); batches come from a seeded permutation each epoch (no
DataLoader, so PyTorch pays no input-pipeline cost we do not pay).
"""
import argparse, gzip, json, struct, time
import torch

from torch_text import get_batch, read_text, score

SRC = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def load(kind, limit):
    (n, r, c), px = read_idx(f"{SRC}/{kind}-images-idx3-ubyte.gz")
    (_,), lb = read_idx(f"{SRC}/{kind}-labels-idx1-ubyte.gz")
    x = torch.frombuffer(bytearray(px), dtype=torch.uint8).view(n, r * c)
    y = torch.frombuffer(bytearray(lb), dtype=torch.uint8).long()
    if limit:
        x, y = x[:limit], y[:limit]
    return x.float() / 255.0, y


ACTS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
        "linear": None, "softmax": None}  # softmax: fused into the loss


def same_pad(n, k, s):
    out = (n + s - 1) // s
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def from_model(path):
    """The torch.nn.Sequential a neurond model definition describes."""
    d = json.load(open(path))
    shape = list(d.get("input_shape", [d.get("inputs")]))
    mods = []
    for l in d["layers"]:
        t = l.get("type", "dense")
        if t == "dense":
            mods.append(torch.nn.Linear(shape[0], l["units"]))
            shape = [l["units"]]
        elif t == "conv2d":
            k = l["kernel"] if isinstance(l["kernel"], list) else [l["kernel"]] * 2
            s = l.get("stride", 1)
            c, h, w = shape
            if l.get("padding", "valid") == "same":
                (t0, t1), (l0, l1) = same_pad(h, k[0], s), same_pad(w, k[1], s)
                mods.append(torch.nn.ZeroPad2d((l0, l1, t0, t1)))
                h, w = h + t0 + t1, w + l0 + l1
            mods.append(torch.nn.Conv2d(c, l["filters"], k, stride=s))
            shape = [l["filters"], (h - k[0]) // s + 1, (w - k[1]) // s + 1]
        elif t in ("maxpool2d", "avgpool2d"):
            size = l.get("size", 2)
            s = l.get("stride", size)
            pool = torch.nn.MaxPool2d if t == "maxpool2d" else torch.nn.AvgPool2d
            mods.append(pool(size, stride=s))
            shape = [shape[0], (shape[1] - size) // s + 1, (shape[2] - size) // s + 1]
        elif t == "flatten":
            mods.append(torch.nn.Flatten())
            shape = [shape[0] * shape[1] * shape[2]] if len(shape) == 3 else shape
        elif t == "dropout":
            mods.append(torch.nn.Dropout(l["rate"]))
        elif t == "batchnorm":
            bn = torch.nn.BatchNorm2d if len(shape) == 3 else torch.nn.BatchNorm1d
            mods.append(bn(shape[0]))
        act = ACTS.get(l.get("activation", "linear"))
        if t in ("dense", "conv2d", "batchnorm") and act:
            mods.append(act())
    return torch.nn.Sequential(*mods), d.get("input_shape")


def text_main(a):
    """bench-train --text's model (bench/text_bench.c) with nn.LSTM: bytes
    as ids into the sorted distinct bytes, the first 90% trained on windows
    of context + 1 drawn uniformly (nanoGPT's get_batch), Adam, clipping,
    then the last 10% scored whole: windows at 0, T, 2T, ... and a last one
    ending at the block's end scoring only its new targets, as libnn's
    nn_text_score. Prints, last, RESULT tokens_per_s=... tokens_per_cpu_s=...
    train_loss=...
    val_loss=... val_acc=... (train_loss: the mean of the last --every
    steps)."""
    train, val, chars = read_text(a.text)
    V, T, B = len(chars), a.context, a.batch

    class CharLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(V, a.embed)
            self.lstm = torch.nn.LSTM(a.embed, a.units, batch_first=True)
            self.out = torch.nn.Linear(a.units, V)

        def forward(self, x):
            return self.out(self.lstm(self.emb(x))[0])

    net = CharLSTM()
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    lossf = torch.nn.CrossEntropyLoss()
    train_s, cpu_s, recent = 0.0, 0.0, []
    for step in range(a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        x, y = get_batch(train, B, T)
        loss = lossf(net(x).reshape(-1, V), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), a.clip)
        opt.step()
        train_s += time.perf_counter() - t0
        cpu_s += time.process_time() - c0
        recent.append(loss.item())
        if (step + 1) % a.every == 0:
            print(f"step {step + 1} loss {sum(recent) / len(recent):.4f}", flush=True)
            last, recent = sum(recent) / len(recent), []
    val_loss, val_acc = score(net, val, T, V)
    print(f"RESULT tokens_per_s={a.steps * B * T / train_s:.0f} "
          f"tokens_per_cpu_s={a.steps * B * T / cpu_s:.0f} "
          f"train_loss={last:.4f} val_loss={val_loss:.4f} "
          f"val_acc={val_acc:.4f}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--layers", default="256,128")
    p.add_argument("--model")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--optimizer", default="sgd")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--lr-decay", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--text")
    p.add_argument("--context", type=int, default=64)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--units", type=int, default=256)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--every", type=int, default=50)
    p.add_argument("--clip", type=float, default=1.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.text:
        return text_main(a)
    xtr, ytr = load("train", a.limit)
    xte, yte = load("t10k", a.limit)
    # The same standard normalisation bench-train fits on the training set.
    mean, std = xtr.mean(0), xtr.std(0, unbiased=False)
    scale = torch.where(std > 1e-12, 1.0 / std, torch.ones_like(std))
    xtr, xte = (xtr - mean) * scale, (xte - mean) * scale
    if a.model:
        net, shape = from_model(a.model)
        if shape:
            xtr, xte = xtr.view(-1, *shape), xte.view(-1, *shape)
    else:
        sizes = [xtr.shape[1]] + [int(u) for u in a.layers.split(",") if u] + [10]
        mods = []
        for i in range(len(sizes) - 1):
            mods.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                mods.append(torch.nn.ReLU())
        net = torch.nn.Sequential(*mods)
    if a.optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=a.lr_decay)
    lossf = torch.nn.CrossEntropyLoss()
    n = xtr.shape[0]
    seen, train_s = 0, 0.0
    for _ in range(a.epochs):
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        net.train()
        for s in range(0, n, a.batch):
            idx = perm[s:s + a.batch]
            xb, yb = xtr.index_select(0, idx), ytr.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss = lossf(net(xb), yb)
            loss.backward()
            opt.step()
        train_s += time.perf_counter() - t0
        seen += n
        sched.step()
    net.eval()
    with torch.no_grad():
        acc = (net(xte).argmax(1) == yte).float().mean().item()
    print(f"RESULT samples_per_s={seen / train_s:.0f} test_acc={acc:.4f}")


main()
