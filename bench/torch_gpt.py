#!/usr/bin/env python3
"""PyTorch side of `make bench`'s GPT row: nanoGPT's "baby GPT" written
the way nanoGPT's model.py and train.py write it (CausalSelfAttention with a
fused c_attn and the explicit masked softmax nanoGPT falls back to without
flash attention, MLP with tanh GELU, pre-norm Block, AdamW with the decay
on the matrices, get_lr's warm-up + cosine, clip_grad_norm_, get_batch,
generate re-running the cropped window), on the same data, model and
optimizer as `bench-train --gpt` (bench/gpt_bench.c):

  - as libnn's model: biases in every Linear and LayerNorm (nanoGPT's
    GPTConfig default) and an untied lm_head with a bias (nanoGPT ties it
    to wte, without a bias);
  - weight decay on the matrices and the token table, not on the position
    table (libnn keeps it as the embedding's bias; nanoGPT decays it too);
  - the schedule's last step trains at min_lr (lr_decay_iters = steps - 1).

usage: torch_gpt.py --gpt FILE --context 64 --width 128 --blocks 4
                    --heads 4 --batch 12 --steps N --every N --lr X
                    --min-lr X --warmup N --beta2 B --weight-decay W
                    --clip C --sample N --threads T --seed S
Prints per-interval losses, a sample after "ROMEO:" and, last,
RESULT tokens_per_s=... tokens_per_cpu_s=... train_loss=... val_loss=...
val_acc=... generated_per_s=... (train_loss: the mean of the last --every
steps; val over the whole held-out block, as bench-train's)."""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_text import get_batch, read_text, score


class CausalSelfAttention(nn.Module):
    def __init__(self, width, heads, context):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)
        T = context
        self.register_buffer("bias", torch.tril(torch.ones(T, T)).view(1, 1, T, T))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        hs = C // self.heads
        q, k, v = (t.view(B, T, self.heads, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, width, ratio):
        super().__init__()
        self.c_fc = nn.Linear(width, ratio * width)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(ratio * width, width)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    """nanoGPT's pre-norm block; tests/crosscheck/torch_crosscheck_gpt.py
    checks libnn's transformer_block against this one."""

    def __init__(self, width, heads, ratio, context):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads, context)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = MLP(width, ratio)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, a, V):
        super().__init__()
        self.context = a.context
        self.wte = nn.Embedding(V, a.width)
        self.wpe = nn.Embedding(a.context, a.width)
        self.h = nn.ModuleList(Block(a.width, a.heads, 4, a.context)
                               for _ in range(a.blocks))
        self.ln_f = nn.LayerNorm(a.width)
        self.lm_head = nn.Linear(a.width, V)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * a.blocks))

    @staticmethod
    def _init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.size(1)))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))

    @torch.no_grad()
    def generate(self, idx, n, temperature=0.8, top_k=40):
        """nanoGPT's generate: each token a forward pass over the last
        `context` tokens, the last position's logits / temperature, top-k,
        a multinomial draw."""
        for _ in range(n):
            logits = self(idx[:, -self.context:])[:, -1, :] / temperature
            v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
            logits[logits < v[:, [-1]]] = -float("inf")
            nxt = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch.cat((idx, nxt), dim=1)
        return idx


def optimizer(net, a):
    """nanoGPT's configure_optimizers, decaying what libnn decays (every
    2-D parameter but the position table)."""
    decay = [p for n, p in net.named_parameters() if p.dim() >= 2 and n != "wpe.weight"]
    rest = [p for n, p in net.named_parameters() if p.dim() < 2 or n == "wpe.weight"]
    return torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                              {"params": rest, "weight_decay": 0.0}],
                             lr=a.lr, betas=(0.9, a.beta2))


def get_lr(it, a):
    """nanoGPT's get_lr with lr_decay_iters = steps - 1."""
    if it < a.warmup:
        return a.lr * (it + 1) / (a.warmup + 1)
    ratio = (it - a.warmup) / (a.steps - 1 - a.warmup)
    return a.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (a.lr - a.min_lr)


def train(net, opt, data, a):
    """a.steps steps; (wall s, CPU s of training, mean loss of the last
    interval)."""
    train_s, cpu_s, recent, last = 0.0, 0.0, [], float("nan")
    for it in range(a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        for g in opt.param_groups:
            g["lr"] = get_lr(it, a)
        x, y = get_batch(data, a.batch, a.context)
        logits = net(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1))
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), a.clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        train_s += time.perf_counter() - t0
        cpu_s += time.process_time() - c0
        recent.append(loss.item())
        if (it + 1) % a.every == 0:
            last, recent = sum(recent) / len(recent), []
            print(f"step {it + 1} loss {last:.4f} (mean of the last {a.every})", flush=True)
    return train_s, cpu_s, last


def sample(net, chars, n):
    """n characters after "ROMEO:" (temperature 0.8, top-k 40); tokens/s."""
    prompt = "ROMEO:"
    idx = torch.tensor([[chars.index(ord(c)) for c in prompt]])
    net.eval()
    t0 = time.perf_counter()
    out = net.generate(idx, n)
    s = time.perf_counter() - t0
    text = bytes(chars[i] for i in out[0].tolist()).decode("utf-8", "replace")
    print(f"generation: {n} tokens in {s * 1e3:.1f} ms ({n / s:.0f} tokens/s); {text}")
    return n / s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gpt", required=True, help="the text file")
    for name, v in (("context", 64), ("width", 128), ("blocks", 4), ("heads", 4),
                    ("batch", 12), ("steps", 250), ("every", 50), ("warmup", 100),
                    ("sample", 200), ("threads", 1), ("seed", 1)):
        p.add_argument("--" + name, type=int, default=v)
    for name, v in (("lr", 1e-3), ("min-lr", 1e-4), ("beta2", 0.99),
                    ("weight-decay", 0.1), ("clip", 1.0)):
        p.add_argument("--" + name, type=float, default=v)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    data, val, chars = read_text(a.gpt)
    net = GPT(a, len(chars))
    train_s, cpu_s, last = train(net, optimizer(net, a), data, a)
    val_loss, val_acc = score(net, val, a.context, len(chars))
    gen = sample(net, chars, a.sample)
    tokens = a.steps * a.batch * a.context
    print(f"RESULT tokens_per_s={tokens / train_s:.0f} "
          f"tokens_per_cpu_s={tokens / cpu_s:.0f} train_loss={last:.4f} "
          f"val_loss={val_loss:.4f} val_acc={val_acc:.4f} generated_per_s={gen:.0f}")


if __name__ == "__main__":
    main()
