"""`lpr serve` started for real in a subprocess, spoken to over HTTP."""

from __future__ import annotations

import concurrent.futures as cf
import socket
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import ROOT, SAMPLES

PLATE = (SAMPLES / "ccpd_0004.jpg").read_bytes()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpr", "serve", "--model", "cn", "--port", str(port), "--max-wait-ms", "20",
         "--max-upload-mb", "1", "--max-pixels", "4000000", "--top-k", "3", "--min-confidence", "model"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            assert proc.poll() is None, proc.communicate()[1].decode()
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def read(url, *files):
    return httpx.post(f"{url}/v1/read", files=[("file", f) for f in files], timeout=30)


def test_health_and_models(server):
    assert httpx.get(f"{server}/healthz").json()["status"] == "ok"
    (m,) = httpx.get(f"{server}/v1/models").json()["models"]
    assert m["name"] == "cn" and m["input_size"] == [94, 24] and m["format"] == "cn"
    assert 0 < m["min_confidence"] < 1  # the shipped model's stored reject threshold


def test_reads_several_plates_in_one_request(server):
    r = read(server, ("a.jpg", PLATE, "image/jpeg"), ("b.jpg", PLATE, "image/jpeg"))
    assert r.status_code == 200
    body = r.json()
    assert body["schema_version"] == 1 and [x["file"] for x in body["readings"]] == ["a.jpg", "b.jpg"]
    first = body["readings"][0]
    assert first["text"] == "沪C21F13" and 0 < first["confidence"] <= 1 and len(first["char_confidences"]) == 7
    assert first["format_matched"] is True and first["time_ms"] > 0 and first["accepted"] is True
    candidates = first["candidates"]  # --top-k 3
    assert 1 <= len(candidates) <= 3 and candidates[0]["text"] == "沪C21F13"


def test_bad_inputs_get_json_errors_and_the_server_keeps_serving(server):
    import cv2
    import numpy as np

    huge = cv2.imencode(".png", np.zeros((3000, 3000), np.uint8))[1].tobytes()  # 9 MP > the 4 MP limit
    big_file = b"\xff\xd8" + b"0" * 1_200_000  # over the 1 MB upload limit
    r = read(
        server,
        ("page.jpg", b"<html>404</html>", "image/jpeg"),
        ("huge.png", huge, "image/png"),
        ("big.jpg", big_file, "image/jpeg"),
        ("ok.jpg", PLATE, "image/jpeg"),
    )
    assert r.status_code == 200
    errors = {x["file"]: x.get("error", "") for x in r.json()["readings"]}
    assert "not a decodable image" in errors["page.jpg"]
    assert "larger than the limit" in errors["huge.png"] and "MB" in errors["big.jpg"]
    assert errors["ok.jpg"] == ""
    only_bad = read(server, ("page.jpg", b"nope", "image/jpeg"))
    assert only_bad.status_code == 422 and "error" in only_bad.json()["readings"][0]
    too_big = read(server, ("huge.png", huge, "image/png"))
    assert too_big.status_code == 413 and "larger than" in too_big.json()["readings"][0]["error"]
    missing = httpx.post(f"{server}/v1/read", data={"x": "1"}, timeout=10)
    assert missing.status_code == 422 and "file" in missing.json()["error"]
    assert read(server, ("ok.jpg", PLATE, "image/jpeg")).status_code == 200  # still serving


def test_concurrent_requests_are_micro_batched(server):
    with cf.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: read(server, ("p.jpg", PLATE, "image/jpeg")).json(), range(32)))
    texts = {r["readings"][0]["text"] for r in results}
    assert texts == {"沪C21F13"}  # batching never changes a reading
