"""``lpr serve``: read plates over HTTP, with concurrent requests micro-batched.

    lpr serve --model cn --port 8000
    curl -F file=@plate.jpg http://127.0.0.1:8000/v1/read

While the network works on one batch, new plates queue; the next batch takes all of them (up
to ``max_batch``), so batches grow with the load and a lone request never waits. Optionally a
plate waits up to ``max_wait_ms`` for batch-mates. Under load, throughput approaches the batch
throughput instead of the batch-1 one. The network runs in a worker thread, so the event loop
keeps accepting requests meanwhile.
"""

from __future__ import annotations

import asyncio
import io
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass

import numpy as np
from fastapi import FastAPI, Request  # module level: FastAPI resolves annotations here
from fastapi.responses import JSONResponse
from PIL import Image
from starlette.datastructures import UploadFile  # what request.form() returns

from .data import ImageError, decode_image, resize
from .decoding import SCHEMA_VERSION
from .pipeline import Recognizer


@dataclass
class Limits:
    max_upload_mb: float = 10.0  # per file
    max_pixels: int = 40_000_000  # decoded width x height
    max_files: int = 64  # per request


class MicroBatcher:
    """Collects plates from concurrent requests into batches for one recogniser."""

    def __init__(self, recognizer: Recognizer, max_batch: int = 64, max_wait_ms: float = 0.0) -> None:
        self.recognizer, self.max_batch, self.max_wait = recognizer, max_batch, max_wait_ms / 1000
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()

    async def read(self, images: list[np.ndarray]) -> list:
        """Readings of preprocessed plates, in order, batched with whatever else is waiting."""
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in images]
        for img, fut in zip(images, futures):
            self.queue.put_nowait((img, fut))
        return list(await asyncio.gather(*futures))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            # Everything that arrived while the last batch ran joins this one: batches grow with
            # the load by themselves, and a lone request never waits.
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            deadline = loop.time() + self.max_wait
            while len(batch) < self.max_batch and self.max_wait > 0:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self.queue.get(), timeout))
                except asyncio.TimeoutError:
                    break
            start = time.perf_counter()
            try:
                stacked = np.stack([img for img, _ in batch])
                readings = await loop.run_in_executor(None, self._infer, stacked)
            except Exception as e:  # never let one bad batch stop the service
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
                continue
            per_plate = (time.perf_counter() - start) * 1e3 / len(batch)
            for (_, fut), r in zip(batch, readings):
                r.time_ms = per_plate
                if not fut.done():
                    fut.set_result(r)

    def _infer(self, stacked: np.ndarray) -> list:
        return self.recognizer.decode(self.recognizer.probabilities(stacked))


def decode_upload(data: bytes, size: tuple[int, int], limits: Limits) -> np.ndarray:
    """Bytes of an uploaded image -> preprocessed plate; ImageError says why not."""
    if not data:
        raise ImageError("empty file")
    if len(data) > limits.max_upload_mb * 1e6:
        raise ImageError(f"file larger than {limits.max_upload_mb:g} MB")
    # Refuse decompression bombs before decoding: PIL reads only the header here.
    try:
        with Image.open(io.BytesIO(data)) as header:
            w, h = header.size
    except Exception:
        raise ImageError("not a decodable image") from None
    if w * h > limits.max_pixels:
        raise ImageError(f"image of {w}x{h} pixels is larger than the limit of {limits.max_pixels:,}")
    return resize(decode_image(data), size)


def create_app(recognizer: Recognizer, model_name: str, max_batch: int = 64, max_wait_ms: float = 0.0, limits=None):
    """The FastAPI application serving one recogniser."""
    limits = limits or Limits()
    batcher = MicroBatcher(recognizer, max_batch, max_wait_ms)

    @asynccontextmanager
    async def lifespan(app):
        batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(title="lpr", version=str(SCHEMA_VERSION), lifespan=lifespan)

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"schema_version": SCHEMA_VERSION, "error": message}, status_code=status)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok", "model": model_name}

    @app.get("/v1/models")
    async def models():
        m = recognizer.meta
        return {
            "schema_version": SCHEMA_VERSION,
            "models": [
                {
                    "name": model_name,
                    "alphabet": recognizer.alphabet.name,
                    "input_size": list(recognizer.input_size),
                    "format": recognizer.plate_format.name if recognizer.plate_format else None,
                    "run_id": m.get("run_id"),
                    "epoch": m.get("epoch"),
                    "calibrated": bool(recognizer.calibration),
                    "min_confidence": recognizer.min_confidence,
                    "backend": recognizer.backend,
                }
            ],
        }

    @app.post("/v1/read")
    async def read(request: Request):
        form = await request.form(max_files=limits.max_files + 1)
        files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
        if not files:
            return error(422, "send one or more images as multipart form fields named 'file'")
        if len(files) > limits.max_files:
            return error(413, f"at most {limits.max_files} files per request")
        images, problems = [], {}
        for i, f in enumerate(files):
            data = await f.read(int(limits.max_upload_mb * 1e6) + 1)
            try:
                images.append(decode_upload(data, recognizer.input_size, limits))
            except ImageError as e:
                problems[i] = str(e)
        readings = iter(await batcher.read(images)) if images else iter(())
        out = []
        for i, f in enumerate(files):
            if i in problems:
                out.append({"file": f.filename, "text": "", "confidence": 0.0, "error": problems[i]})
            else:
                out.append({"file": f.filename, **next(readings).to_dict()})
        # Nothing readable: 413 when every file broke a size limit, else 422 (not an image).
        too_big = all("larger than" in why for why in problems.values())
        status = 200 if images else (413 if too_big else 422)
        body = {"schema_version": SCHEMA_VERSION, "model": model_name, "readings": out}
        return JSONResponse(body, status_code=status)

    return app


def serve(
    model: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    backend: str = "onnx",
    plate_format: str | None = "default",
    top_k: int = 0,
    min_confidence: float | str | None = None,
    **kw,
) -> None:
    import uvicorn

    recognizer = Recognizer.load(
        model, backend=backend, plate_format=plate_format, top_k=top_k, min_confidence=min_confidence
    )
    uvicorn.run(create_app(recognizer, model, **kw), host=host, port=port, log_level="warning")
