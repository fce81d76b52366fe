"""What bench/torch_ref.py --text (the char LSTM) and bench/torch_gpt.py
(the baby GPT) share: the text as character ids split 90/10, nanoGPT's
get_batch, and the held-out block scored whole as libnn's nn_text_score
scores it."""
import torch


def read_text(path):
    """(train ids, held-out ids, the sorted distinct bytes): bytes as ids
    into sorted(set(text)) (nanoGPT's shakespeare_char), the last 10%
    (n // 10 tokens) held out."""
    data = open(path, "rb").read()
    chars = sorted(set(data))
    lut = torch.zeros(256, dtype=torch.long)
    lut[torch.tensor(chars)] = torch.arange(len(chars))
    ids = lut[torch.frombuffer(bytearray(data), dtype=torch.uint8).long()]
    n_train = len(ids) - len(ids) // 10
    return ids[:n_train], ids[n_train:], chars


def get_batch(train, B, T):
    """B windows of T + 1 ids at uniformly drawn starts: inputs, targets."""
    starts = torch.randint(len(train) - T, (B,))
    w = train[starts[:, None] + torch.arange(T + 1)]
    return w[:, :-1], w[:, 1:]


def score(net, val, T, V):
    """(mean loss per token in nats, accuracy) of net (ids (B, T) -> logits
    (B, T, V)) over every next-token target of val once: windows at 0, T,
    2T, ... and a last one ending at the block's end scoring only its new
    targets, as libnn's nn_text_score."""
    net.eval()
    m = len(val)
    nwin = (m - 1 + T - 1) // T
    total, right, scored = 0.0, 0, 0
    with torch.no_grad():
        for j0 in range(0, nwin, 256):
            xs, ys = [], []
            for j in range(j0, min(nwin, j0 + 256)):
                off, skip = j * T, 0
                if off + T + 1 > m:
                    skip, off = off + T + 1 - m, m - T - 1
                y = val[off + 1:off + T + 1].clone()
                y[:skip] = -100
                xs.append(val[off:off + T])
                ys.append(y)
            logits = net(torch.stack(xs)).reshape(-1, V)
            y = torch.stack(ys).reshape(-1)
            keep = y >= 0
            total += torch.nn.functional.cross_entropy(
                logits[keep], y[keep], reduction="sum").item()
            right += (logits[keep].argmax(1) == y[keep]).sum().item()
            scored += keep.sum().item()
    net.train()
    return total / scored, right / scored
