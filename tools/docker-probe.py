#!/usr/bin/env python3
"""HTTP probes of `make docker-test`'s cluster phase (tools/docker-test-cluster.sh),
on raw sockets, which no HTTP client library lets misbehave:

  docker-probe.py probes HOST PORT MARK
      malformed and slow requests, all at once, one connection each; prints
      one JSON line per probe: its name, the status line nginx answered
      (or "" when it closed without one) and the seconds until it closed.
      Each request's path or request line carries MARK, so that the
      caller can find it in the proxy's and the nodes' logs.

  docker-probe.py sse URL SECONDS
      follows a Server-Sent Events stream as EventSource does: on a broken
      connection it connects again with Last-Event-ID. Prints one JSON
      object: each event's name, id and arrival time (seconds since the
      start), the reconnections, and the end event's data.
"""
import json
import socket
import sys
import threading
import time
import urllib.parse
import http.client


def probe_list(mark):
    """(name, bytes sent at once, bytes sent after that never): the slow
    ones send part of a request and then stall."""
    host = b"Host: cluster\r\n"
    m = mark.encode()
    return [
        ("header_without_colon",
         b"GET /" + m + b"-nocolon HTTP/1.1\r\n" + host + b"no colon here\r\n\r\n"),
        ("http11_without_host", b"GET /" + m + b"-nohost HTTP/1.1\r\n\r\n"),
        ("negative_length",
         b"POST /" + m + b"-badlength HTTP/1.1\r\n" + host +
         b"Content-Length: -1\r\n\r\n"),
        ("two_lengths",
         b"POST /" + m + b"-twolengths HTTP/1.1\r\n" + host +
         b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
        ("garbage_request_line", m + b"-garbage\r\n\r\n"),
        ("unknown_version", b"GET /" + m + b"-version HTTP/7.1\r\n" + host + b"\r\n"),
        ("body_too_large",
         b"POST /" + m + b"-toolarge HTTP/1.1\r\n" + host +
         b"Content-Type: text/csv\r\nContent-Length: 2000000000\r\n\r\n"),
        ("slow_headers", b"GET /" + m + b"-slowheaders HTTP/1.1\r\n" + host),
        ("slow_body",
         b"POST /" + m + b"-slowbody HTTP/1.1\r\n" + host +
         b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na"),
    ]


def run_probe(host, port, name, data, results):
    t0 = time.monotonic()
    status, got = "", b""
    with socket.create_connection((host, port), timeout=60) as s:
        s.sendall(data)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
                # An answer in full is enough; nginx closes after an error
                # reply anyway, but not always at once.
                if b"\r\n\r\n" in got and name not in ("slow_headers", "slow_body"):
                    break
        except (ConnectionResetError, socket.timeout):
            pass
    if got:
        status = got.split(b"\r\n", 1)[0].decode("latin-1")
    results.append({"probe": name, "status": status,
                    "closed_after_s": round(time.monotonic() - t0, 2)})


def probes(host, port, mark):
    results, threads = [], []
    for name, data in probe_list(mark):
        t = threading.Thread(target=run_probe, args=(host, int(port), name, data, results))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for r in sorted(results, key=lambda r: r["probe"]):
        print(json.dumps(r))


def read_events(resp, t0, out):
    """Reads events from resp into out["events"] until the stream ends;
    returns the last event id seen, and whether an end event came."""
    name, ident, data = "message", None, []
    last_id = None
    while True:
        line = resp.readline()
        if not line:
            return last_id, False
        line = line.decode().rstrip("\r\n")
        if line == "":
            if data or ident is not None:
                ev = {"event": name, "t": round(time.monotonic() - t0, 3)}
                if ident is not None:
                    ev["id"] = ident
                    last_id = ident
                out["events"].append(ev)
                if name == "end":
                    out["end"] = json.loads("\n".join(data))
                    return last_id, True
            name, ident, data = "message", None, []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "id":
                ident = value
            elif field == "data":
                data.append(value)


def sse(url, seconds):
    u = urllib.parse.urlsplit(url)
    path = u.path + ("?" + u.query if u.query else "")
    t0 = time.monotonic()
    out = {"events": [], "reconnects": [], "end": None}
    last_id = None
    while time.monotonic() - t0 < float(seconds):
        headers = {"Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        try:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                out["reconnects"].append({"t": round(time.monotonic() - t0, 3),
                                          "status": resp.status})
                time.sleep(0.5)
                continue
            seen, ended = read_events(resp, t0, out)
            last_id = seen if seen is not None else last_id
            if ended:
                break
        except (OSError, http.client.HTTPException) as e:
            out["reconnects"].append({"t": round(time.monotonic() - t0, 3),
                                      "error": type(e).__name__})
            time.sleep(0.5)
            continue
        out["reconnects"].append({"t": round(time.monotonic() - t0, 3),
                                  "last_id": last_id})
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "probes":
        probes(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "sse":
        sse(*sys.argv[2:])
    else:
        sys.exit(__doc__)
