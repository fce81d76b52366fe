#!/usr/bin/env python3
"""cluster.py — what a neurond cluster on PostgreSQL costs and gives,
measured on loopback only, in one run:

  jobs      claim and completion rate of N tiny jobs (a perceptron, one
            epoch each) sent at once, round-robin, through 1, 2 and 3
            nodes on one PostgreSQL database, and through one node on
            SQLite;
  failover  seconds from SIGKILL of the node training a job to that job
            running again on another node, for several --lease-ms;
  predict   wrk's requests/s and p99 of predictions through one node, and
            spread over three (one wrk per node, a third of the
            connections each, their rates added).

Every node's and PostgreSQL's CPU time (utime + stime from /proc) is read
around each run, so that the report can also give per-node figures that
would hold with each node on a machine of its own: work done / CPU seconds
the node used, times the cores such a machine would give it (--cores, 2);
and likewise for PostgreSQL ("PG alone": work / PostgreSQL's CPU seconds
times the cores), the ceiling the shared database puts on the cluster.
A private PostgreSQL server is started for the run (tools/pg-private.sh)
and stopped at the end. Run it under nice on a shared machine:

  nice python3 bench/cluster.py --bin build/neurond [--jobs 1000]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of pid and its reaped children, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / HZ
    except OSError:
        return 0.0


def pg_cpu_seconds(pg_dir):
    """CPU seconds of the postmaster and every backend it runs."""
    try:
        with open(os.path.join(pg_dir, "pid")) as f:
            root = int(f.read().split()[0])
    except OSError:
        return 0.0
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == root or int(fields[1]) == root:
            total += sum(int(x) for x in fields[11:13]) / HZ
    return total


class Node:
    """One neurond process on a free loopback port."""

    def __init__(self, binary, db, name, workdir, extra=()):
        self.name = name
        self.log = os.path.join(workdir, name + ".log")
        args = [binary, "--bind", "127.0.0.1", "--port", "0", "--db", db,
                "--node-name", name, "--max-queued-jobs", "100000",
                "--log-format", "text", *extra]
        self.proc = subprocess.Popen(args, stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT)
        self.port = None
        for _ in range(300):
            with open(self.log) as f:
                text = f.read()
            at = text.find("listening on http://127.0.0.1:")
            if at >= 0:
                self.port = int(text[at + 30:].split("/")[0])
                break
            if self.proc.poll() is not None:
                sys.exit(f"{name} exited at start: {text}")
            time.sleep(0.05)
        if not self.port:
            sys.exit(f"{name} did not start")
        self.base = f"http://127.0.0.1:{self.port}"

    def text(self, path):
        with urllib.request.urlopen(self.base + path, timeout=60) as r:
            return r.read().decode()

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        if data:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def cpu(self):
        return cpu_seconds(self.proc.pid)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_nodes(args, db, count, workdir, extra=()):
    return [Node(args.bin, db, f"node-{i}", workdir, extra)
            for i in range(count)]


def stop_nodes(nodes):
    for n in nodes:
        n.stop()


def succeeded(node):
    """Jobs succeeded in the whole store, from /metrics."""
    for line in node.text("/metrics").splitlines():
        if line.startswith('neurond_jobs{state="succeeded"}'):
            return int(line.split()[1])
    return 0


def jobs_run(args, nodes, pg_dir):
    """Sends args.jobs one-epoch perceptron jobs at once, round-robin over
    nodes; returns (jobs/s submit to all ended, claims/s first to last
    claim, CPU seconds per node, CPU seconds of PostgreSQL)."""
    _, ds = nodes[0].call("POST", "/v1/datasets",
                          {"name": "and", "generator": "and"})
    models = []
    for i in range(args.jobs):
        _, m = nodes[i % len(nodes)].call(
            "POST", "/v1/models",
            {"name": f"p{i}", "type": "perceptron", "inputs": 2})
        models.append(m["id"])
    cpu0 = [n.cpu() for n in nodes]
    pg0 = pg_cpu_seconds(pg_dir) if pg_dir else 0.0
    ids = [None] * args.jobs

    def send(k):
        for i in range(k, args.jobs, 8):
            st, j = nodes[i % len(nodes)].call(
                "POST", "/v1/jobs",
                {"model_id": models[i], "dataset_id": ds["id"], "epochs": 1})
            if st != 202:
                sys.exit(f"POST /v1/jobs: {st} {j}")
            ids[i] = j["id"]

    t0 = time.monotonic()
    threads = [threading.Thread(target=send, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while succeeded(nodes[0]) < args.jobs:
        time.sleep(0.05)
    elapsed = time.monotonic() - t0
    cpu = [n.cpu() - c for n, c in zip(nodes, cpu0)]
    pg = (pg_cpu_seconds(pg_dir) - pg0) if pg_dir else 0.0
    return args.jobs / elapsed, elapsed, cpu, pg


def failover_run(args, db, lease_ms, workdir):
    """Seconds from SIGKILL of the node running a long job to the job
    running on the other node."""
    nodes = start_nodes(args, db, 2, workdir,
                        ("--workers", "1", "--lease-ms", str(lease_ms),
                         "--checkpoint-ms", "200"))
    try:
        _, ds = nodes[0].call("POST", "/v1/datasets",
                              {"name": "xor", "generator": "xor"})
        _, m = nodes[0].call("POST", "/v1/models", {
            "name": "n", "inputs": 2, "seed": 1, "layers": [
                {"units": 8, "activation": "tanh"},
                {"units": 1, "activation": "sigmoid"}]})
        _, j = nodes[0].call("POST", "/v1/jobs", {
            "model_id": m["id"], "dataset_id": ds["id"],
            "epochs": 1000000, "batch_size": 1})
        path = f"/v1/jobs/{j['id']}"
        while True:
            _, job = nodes[1].call("GET", path)
            if job["status"] == "running" and job["node"]:
                break
            time.sleep(0.01)
        time.sleep(0.5)  # a checkpoint or two
        victim = int(job["node"].split("-")[1])
        other = nodes[1 - victim]
        t0 = time.monotonic()
        nodes[victim].kill()
        while True:
            _, job = other.call("GET", path)
            if job["status"] == "running" and job["node"] == other.name:
                break
            time.sleep(0.01)
        took = time.monotonic() - t0
        other.call("POST", path + "/cancel")
        return took
    finally:
        stop_nodes(nodes)


def wrk(url, seconds, threads, conns, out):
    subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s",
                    "--latency", "-s", "bench/predict.lua", url],
                   stdout=open(out, "w"), check=True,
                   timeout=seconds + 60)
    rps = p99 = None
    for line in open(out):
        parts = line.split()
        if line.startswith("Requests/sec:"):
            rps = float(parts[1])
        if parts and parts[0] == "99%":
            p99 = parts[1]
    return rps, p99


def predict_run(args, nodes, workdir, pg_dir):
    """wrk through the nodes at once (a share of the connections each);
    returns (total req/s, the worst p99, CPU seconds per node, of PG)."""
    _, m = nodes[0].call("POST", "/v1/models", {
        "name": "p", "inputs": 2, "seed": 1, "layers": [
            {"units": 8, "activation": "tanh"},
            {"units": 1, "activation": "sigmoid"}]})
    cpu0 = [n.cpu() for n in nodes]
    pg0 = pg_cpu_seconds(pg_dir) if pg_dir else 0.0
    results = [None] * len(nodes)

    def one(i):
        out = os.path.join(workdir, f"wrk{i}.out")
        results[i] = wrk(f"{nodes[i].base}/v1/models/{m['id']}/predict",
                         args.seconds, 1, max(1, args.connections //
                                              len(nodes)), out)

    threads = [threading.Thread(target=one, args=(i,))
               for i in range(len(nodes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = [n.cpu() - c for n, c in zip(nodes, cpu0)]
    pg = (pg_cpu_seconds(pg_dir) - pg0) if pg_dir else 0.0
    total = sum(r[0] for r in results)
    worst = max((r[1] for r in results), key=to_ms)
    return total, worst, cpu, pg


def to_ms(text):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * f
    return float(text)


def per_node(work, cpu, cores):
    """What one node would do on a machine of its own with `cores` cores:
    its work per CPU second, times the cores (never more than the load
    could use: the figure assumes the node is CPU-bound)."""
    return [w / c * cores if c > 0 else float("nan")
            for w, c in zip(work, cpu)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/neurond")
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--leases", default="1000,3000,10000")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=24)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="neurond-cluster-bench-")
    os.chmod(workdir, 0o755)  # PostgreSQL runs as its own user
    pg_dir = os.path.join(workdir, "pg")
    uri = subprocess.run(["sh", "tools/pg-private.sh", "start", pg_dir],
                         check=True, capture_output=True,
                         text=True).stdout.strip()
    try:
        report(args, workdir, pg_dir, uri)
    finally:
        subprocess.run(["sh", "tools/pg-private.sh", "stop", pg_dir])
        shutil.rmtree(workdir, ignore_errors=True)


def fresh_pg(uri, name):
    subprocess.run(["psql", "-X", "-q", f"{uri}/postgres", "-c",
                    f'CREATE DATABASE "{name}"'], check=True)
    return f"{uri}/{name}"


def report(args, workdir, pg_dir, uri):
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"\n{args.jobs} one-epoch jobs sent at once (8 clients):")
    print(f"{'store':<16}{'nodes':>6}{'jobs/s':>10}{'seconds':>9}"
          f"{'node CPU s':>22}{'PG CPU s':>10}{'per node alone jobs/s':>24}"
          f"{'PG alone':>14}")
    runs = [("sqlite", 1), ("postgresql", 1), ("postgresql", 2),
            ("postgresql", 3)]
    for k, (store, count) in enumerate(runs):
        db = (os.path.join(workdir, f"jobs{k}.db") if store == "sqlite"
              else fresh_pg(uri, f"jobs{k}"))
        nodes = start_nodes(args, db, count, workdir, ("--workers", "2"))
        try:
            rate, secs, cpu, pg = jobs_run(args, nodes,
                                           pg_dir if store != "sqlite"
                                           else None)
        finally:
            stop_nodes(nodes)
        share = [rate * secs / count] * count
        alone = per_node(share, cpu, args.cores)
        print(f"{store:<16}{count:>6}{rate:>10.1f}{secs:>9.2f}"
              f"{' '.join(f'{c:.2f}' for c in cpu):>22}{pg:>10.2f}"
              f"{' '.join(f'{a:.0f}' for a in alone):>24}"
          f"{rate * secs / pg * args.cores if pg > 0 else float('nan'):>14.0f}")

    print("\nfailover (SIGKILL of the node training a job, to the job "
          "running on the other):")
    for lease in (int(x) for x in args.leases.split(",")):
        took = failover_run(args, fresh_pg(uri, f"fail{lease}"), lease,
                            workdir)
        print(f"  --lease-ms {lease:>6}: {took:.2f} s")

    print(f"\npredict through wrk, {args.seconds} s, {args.connections} "
          "connections in all:")
    for count in (1, 3):
        nodes = start_nodes(args, fresh_pg(uri, f"predict{count}"), count,
                            workdir, ("--workers", "1"))
        try:
            rps, p99, cpu, pg = predict_run(args, nodes, workdir, pg_dir)
        finally:
            stop_nodes(nodes)
        alone = per_node([rps * args.seconds / count] * count, cpu,
                         args.cores)
        print(f"  {count} node(s): {rps:.0f} req/s, worst p99 {p99}; node "
              f"CPU s {' '.join(f'{c:.1f}' for c in cpu)}, PG {pg:.1f}; "
              f"per node alone ≈ {' '.join(f'{a:.0f}' for a in alone)} "
              f"req/s, PG alone ≈ "
              f"{rps * args.seconds / pg * args.cores if pg else 0:.0f} req/s")
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
