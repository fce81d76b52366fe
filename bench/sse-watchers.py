#!/usr/bin/env python3
"""How many event-stream watchers one neurond holds, what they cost, and how
soon they hear a job end.

    ulimit -n 8192; build/neurond --port 18772 --db /tmp/w.db --workers 1 \
        --max-watchers 3000 --max-connections 3100 --max-per-ip 0 &
    python3 bench/sse-watchers.py 18772 3000 $!

Queues a blocker job and a watched job behind it (so nothing is replayed),
opens N streams on the watched job (asyncio, one process), prints the
server's RSS, lets the job train live for a second (epoch events are
coalesced to 20/s per stream), cancels it and prints when each stream got
its end event, measured from the job's finished_at.
"""
import asyncio
import datetime
import json
import sys
import time
import urllib.request

PORT, N, PID = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
BASE = f"http://127.0.0.1:{PORT}"
stats = {"ok": 0, "refused": 0, "ended": 0, "epochs": 0, "end_at": []}


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, method=method, data=data,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def rss():
    with open(f"/proc/{PID}/status") as f:
        return next(l.split()[1] for l in f if l.startswith("VmRSS")) + " kB"


def xor_job(ds):
    model = call("POST", "/v1/models", {"name": "n", "inputs": 2, "seed": 1, "layers": [
        {"units": 4, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}]})["id"]
    return call("POST", "/v1/jobs", {"model_id": model, "dataset_id": ds,
                                     "epochs": 1000000, "batch_size": 4})["id"]


async def watch(job):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", PORT)
        w.write(f"GET /v1/jobs/{job}/events HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = await r.readuntil(b"\r\n\r\n")
    except (OSError, asyncio.IncompleteReadError):
        stats["refused"] += 1
        return
    if b" 200 " not in head.split(b"\r\n")[0]:
        stats["refused"] += 1
        w.close()
        return
    stats["ok"] += 1
    tail = b""
    while data := await r.read(65536):
        tail = tail[-64:] + data
        stats["epochs"] += data.count(b"event: epoch")
        if b"event: end" in tail:
            stats["ended"] += 1
            stats["end_at"].append(time.time())
            break
    w.close()


async def main():
    ds = call("POST", "/v1/datasets", {"name": "xor", "generator": "xor"})["id"]
    blocker, job = xor_job(ds), xor_job(ds)
    tasks = [asyncio.create_task(watch(job)) for _ in range(N)]
    while stats["ok"] + stats["refused"] < N:
        await asyncio.sleep(0.05)
    print(f"{stats['ok']} streams open ({stats['refused']} refused), server RSS {rss()}")
    call("POST", f"/v1/jobs/{blocker}/cancel")
    await asyncio.sleep(1.0)
    print(f"after 1 s of training: {stats['epochs']} epoch events sent in all, RSS {rss()}")
    call("POST", f"/v1/jobs/{job}/cancel")
    await asyncio.gather(*tasks)
    fin = call("GET", f"/v1/jobs/{job}")["finished_at"]
    t0 = datetime.datetime.strptime(fin, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    lag = sorted(t - t0 for t in stats["end_at"])
    if lag:
        print(f"{stats['ended']} got the end event: median {lag[len(lag) // 2] * 1e3:.1f} ms, "
              f"max {lag[-1] * 1e3:.1f} ms after finished_at")


asyncio.run(main())
