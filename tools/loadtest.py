#!/usr/bin/env python
"""Load-test `lpr serve` on 127.0.0.1: throughput and latency at several concurrencies, with
and without micro-batching.

    python tools/loadtest.py --model cn --requests 400 --concurrency 1 8 32

Starts the server itself (once with micro-batching, once with --max-batch 1), sends a bounded
number of one-plate requests from a pool of client threads, and prints a markdown table.
Only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str, backend: str, max_batch: int, max_wait_ms: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "lpr", "serve", "--model", model, "--backend", backend, "--port", str(port)]
    cmd += ["--max-batch", str(max_batch), "--max-wait-ms", str(max_wait_ms)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            if proc.poll() is not None:
                raise SystemExit(proc.stderr.read().decode()) from None
            time.sleep(0.1)
    raise SystemExit("server did not start")


def run_load(url: str, image: bytes, requests: int, concurrency: int) -> dict:
    """Send ``requests`` one-plate requests from ``concurrency`` threads; wall time and latencies."""
    client = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=concurrency))

    def one(_):
        t = time.perf_counter()
        r = client.post(f"{url}/v1/read", files={"file": ("plate.jpg", image, "image/jpeg")})
        r.raise_for_status()
        return time.perf_counter() - t

    for _ in range(concurrency * 2):  # warm-up
        one(0)
    start = time.perf_counter()
    with cf.ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - start
    client.close()
    ms = np.array(latencies) * 1e3
    return {"rps": requests / wall, "p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="cn")
    ap.add_argument("--backend", default="onnx")
    ap.add_argument("--image", default=str(ROOT / "data" / "samples" / "ccpd_0004.jpg"))
    ap.add_argument("--requests", type=int, default=400, help="requests per concurrency level")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--max-wait-ms", type=float, default=0.0)
    args = ap.parse_args()
    image = Path(args.image).read_bytes()

    print(f"model {args.model}, backend {args.backend}, {args.requests} one-plate requests per row, 127.0.0.1\n")
    print("| micro-batching | concurrency | requests/s | p50 latency | p99 latency |")
    print("|---|---|---|---|---|")
    for label, max_batch in [("on (up to 64)", 64), ("off (batch 1)", 1)]:
        proc, url = start_server(args.model, args.backend, max_batch, args.max_wait_ms)
        try:
            for c in args.concurrency:
                r = run_load(url, image, args.requests, c)
                print(f"| {label} | {c} | {r['rps']:.0f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms |", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
