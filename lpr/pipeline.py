"""Reading plates: load a trained STN + LPRNet pair and turn plate crops into text.

Example::

    from lpr import Recognizer
    r = Recognizer.load("cn")          # a folder under weights/, or any run folder
    reading = r.read("plate.jpg")      # Reading(text, confidence, char_confidences)
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from . import calibration
from .alphabet import Alphabet
from .checkpoints import CheckpointError, fingerprint
from .data import ImageError, Sample, load_image, resize, sample_through, to_input, to_ndarray
from .decoding import Reading, decode
from .formats import PlateFormat, default_format, hard_format

log = logging.getLogger(__name__)

# Shipped models live in the checkout's weights/ (the Makefile installs lpr in editable mode);
# LPR_WEIGHTS points elsewhere, e.g. for a wheel install.
WEIGHTS_DIR = Path(os.environ.get("LPR_WEIGHTS", Path(__file__).resolve().parent.parent / "weights"))
# `lpr export` saves the graphs beside the weights under these names (the STN's, LPRNet's);
# loading prefers them.
EXPORTED_FILES = {"onnx": ("stn.onnx", "lprnet.onnx"), "onnx-int8": ("stn.onnx", "lprnet.int8.onnx")}
# A second look (see Recognizer.probabilities) replaces the first reading only when its best
# path is this many nats likelier (e times). Measured with the shipped latin model on its
# validation splits: always taking the second reading cost US 1.9 and Taiwan 2.2 points, taking
# it whenever likelier (0) US 3.7 and Taiwan 0.9; with 1 no split read fewer plates.
SECOND_LOOK_MARGIN = 1.0


def resolve_model_dir(name_or_dir: str | Path) -> Path:
    """A model folder from a shipped model's name (``weights/NAME``) or a path."""
    p = Path(name_or_dir)
    if p.is_dir():
        return p
    shipped = WEIGHTS_DIR / str(name_or_dir)
    if shipped.is_dir():
        return shipped
    available = sorted(d.name for d in WEIGHTS_DIR.iterdir() if d.is_dir()) if WEIGHTS_DIR.is_dir() else []
    raise CheckpointError(f"no model {str(name_or_dir)!r}: not a folder, and not a shipped model {available}")


def ort_session(model, threads: int = 0):
    """An onnxruntime CPU session on a graph (a path or serialized bytes); 0 threads = all cores."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # Idle worker threads must not spin: they would steal the core that decodes the next images.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Errors only: the graphs' optional `prior` input (an overridable initializer) draws a warning.
    options.log_severity_level = 3
    return ort.InferenceSession(
        str(model) if isinstance(model, Path) else model, options, providers=["CPUExecutionProvider"]
    )


def takes_channels_last(lprnet_session) -> bool:
    """Whether an LPRNet graph takes its plates as (B, H, W, 3); graphs exported before
    2026-12-02 took them as (B, 3, H, W)."""
    return lprnet_session.get_inputs()[0].shape[-1] == 3


class ScratchArrays(threading.local):
    """float32 arrays reused from call to call, one set per thread (a server may read in
    several): ``array(name, shape)`` is the named buffer's first ``shape[0]`` rows, grown when
    a larger batch needs it."""

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        buffer = self.__dict__.get(name)
        if buffer is None or buffer.shape[1:] != shape[1:] or len(buffer) < shape[0]:
            buffer = self.__dict__[name] = np.empty(shape, np.float32)
        return buffer[: shape[0]]


def best_path_log_prob(probs: np.ndarray) -> np.ndarray:
    """(B, C, T) probabilities -> (B,) log-probability of each plate's likeliest alignment."""
    return np.log(np.maximum(probs.max(axis=1), 1e-30)).sum(axis=1)


def set_torch_threads(threads: int) -> None:
    """Limit torch to ``threads`` (0 leaves its default: all cores)."""
    if threads:
        import torch

        torch.set_num_threads(threads)


def exported_graphs(model_dir: Path, backend: str, threads: int, sha256: str):
    """((STN session, LPRNet session), checkpoint metadata) of the graphs saved beside a model's
    weights, when both were exported from exactly the checkpoint files whose fingerprint is
    ``sha256`` by this version of lpr; else None."""
    paths = [Path(model_dir) / name for name in EXPORTED_FILES[backend]]
    if not all(p.is_file() for p in paths):
        return None
    sessions = tuple(ort_session(p, threads) for p in paths)
    props = [s.get_modelmeta().custom_metadata_map for s in sessions]
    if any("lpr.meta" not in p or p.get("lpr.checkpoints") != sha256 for p in props):
        return None
    if not takes_channels_last(sessions[1]):
        return None
    return sessions, json.loads(props[1]["lpr.meta"])


class Recognizer:
    """An STN + LPRNet pair, ready to read plates.

    Readings never depend on batch size: both networks run in eval mode and LPRNet normalises
    its global context per sample. With an ONNX backend and a graph exported from exactly these
    checkpoints, the PyTorch modules (and torch itself) are loaded only if something asks for
    ``stn`` or ``lprnet``.
    """

    BACKENDS = ("torch", "onnx", "onnx-int8")
    # onnxruntime reads exactly what torch reads (same errors on every validation split) about
    # 2-4x faster on a CPU, so loaded models use it unless asked otherwise.
    DEFAULT_BACKEND = "onnx"

    def __init__(
        self,
        alphabet: Alphabet,
        meta: dict,
        input_size: tuple[int, int],
        backend: str = "torch",
        threads: int = 0,
        model_dir: Path | None = None,
        plate_format: str | None = "default",
        top_k: int = 0,
        calibrated: bool = True,
        min_confidence: float | str | None = None,
        modules: tuple | None = None,
        sessions: tuple | None = None,
        checkpoints_sha256: str | None = None,
        second_look: bool = True,
    ):
        if backend not in self.BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(self.BACKENDS)}")
        if modules is None and model_dir is None:
            raise ValueError("give the (stn, lprnet) modules or the model folder they are saved in")
        self.alphabet, self.meta, self.input_size = alphabet, meta, tuple(input_size)
        self.backend, self.threads, self.model_dir = backend, threads, model_dir
        # The checkpoint files' fingerprint when the modules are (to be) those files' weights;
        # an exported graph is stamped with it. Setting a module by hand clears it.
        self.checkpoints_sha256 = checkpoints_sha256
        self._stn, self._lprnet = (m.eval() for m in modules) if modules is not None else (None, None)
        if modules is not None:
            set_torch_threads(threads)
        if backend != "torch" and sessions is None:
            sessions = self._onnx_sessions()
        # (STN, LPRNet) onnxruntime sessions; the plate is sampled between them (sample_through).
        self._sessions = sessions
        self._scratch = ScratchArrays()
        if sessions is not None:
            stamp = sessions[0].get_modelmeta().custom_metadata_map
            self._align_corners = json.loads(stamp.get("lpr.align_corners", "false"))
        self.top_k = top_k
        self.second_look = second_look
        self.set_format(plate_format)
        # Fitted by `lpr calibrate` on real plates; maps raw plate confidence to P(correct).
        self.calibration = self.meta.get("calibration") if calibrated else None
        self.set_min_confidence(min_confidence)

    @property
    def stn(self):
        if self._stn is None:
            self._load_modules()
        return self._stn

    @stn.setter
    def stn(self, module) -> None:
        self._stn, self.checkpoints_sha256 = module.eval(), None

    @property
    def lprnet(self):
        if self._lprnet is None:
            self._load_modules()
        return self._lprnet

    @lprnet.setter
    def lprnet(self, module) -> None:
        self._lprnet, self.checkpoints_sha256 = module.eval(), None

    def _load_modules(self) -> None:
        """Load the PyTorch modules from the model folder, the first time one is needed; a
        module set by hand stays."""
        from .checkpoints import load_models

        if self.checkpoints_sha256 and fingerprint(self.model_dir) != self.checkpoints_sha256:
            raise CheckpointError(
                f"{self.model_dir}: the checkpoints changed since this model was loaded; load it again"
            )
        stn, net, _, _ = load_models(self.model_dir)
        self._stn = stn if self._stn is None else self._stn
        self._lprnet = net if self._lprnet is None else self._lprnet
        set_torch_threads(self.threads)

    def set_format(self, spec: str | None) -> None:
        """Constrain readings to a plate format: ``"default"`` (the one the model was trained
        with, else its alphabet's, e.g. ``cn``), a named format, a pattern such as
        ``"@@@-####"``, or None / ``"none"`` for free text."""
        if spec == "default":
            trained = (self.meta.get("train_config") or {}).get("plate_format")
            spec = trained or default_format(self.alphabet)
        self.plate_format = None if spec in (None, "none") else PlateFormat.resolve(spec, self.alphabet)

    def set_min_confidence(self, spec: float | str | None) -> None:
        """Mark readings below a confidence as not accepted (``Reading.accepted``): a number in
        [0, 1], ``"model"`` for the reject threshold `lpr calibrate` stored with the model (the
        lowest confidence at which its readings were 99.5% right), or None for no threshold."""
        if spec is None or spec == "none":
            self.min_confidence = None
            return
        if spec == "model":
            if not self.calibration or "threshold" not in self.calibration:
                raise ValueError(
                    "this model has no stored reject threshold: fit one with `lpr calibrate --model DIR "
                    "--data VAL.csv`, or give a number"
                )
            fitted_for = self.calibration.get("format") or "none"
            used = self.plate_format.name if self.plate_format else "none"
            if fitted_for != used:
                log.warning(
                    "the model's reject threshold was chosen for readings in format %s, not %s: it may not "
                    "keep its precision on these",
                    fitted_for,
                    used,
                )
            self.min_confidence = float(self.calibration["threshold"])
            return
        try:
            value = float(spec)
        except (TypeError, ValueError):
            raise ValueError(f"min_confidence must be a number in [0, 1] or 'model', got {spec!r}") from None
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {value:g}")
        self.min_confidence = value

    @classmethod
    def load(
        cls,
        name_or_dir: str | Path = "cn",
        threads: int = 0,
        backend: str = DEFAULT_BACKEND,
        plate_format: str | None = "default",
        top_k: int = 0,
        calibrated: bool = True,
        min_confidence: float | str | None = None,
        second_look: bool = True,
    ) -> Recognizer:
        """Load ``stn.pt`` and ``lprnet.pt`` from a shipped model name or a run folder.

        ``backend="onnx"`` (the default) runs the same networks, exported as two ONNX graphs
        (the STN's and LPRNet's, the plate sampled between them), in onnxruntime; ``"torch"``
        runs the PyTorch modules.
        ``plate_format`` and ``top_k``: see :meth:`set_format` and :func:`lpr.decoding.decode`;
        ``min_confidence``: see :meth:`set_min_confidence`; ``second_look``: see
        :meth:`probabilities`.
        """
        model_dir = resolve_model_dir(name_or_dir)
        options = dict(backend=backend, threads=threads, model_dir=model_dir, plate_format=plate_format)
        options.update(top_k=top_k, calibrated=calibrated, min_confidence=min_confidence, second_look=second_look)
        sha256 = fingerprint(model_dir)
        exported = exported_graphs(model_dir, backend, threads, sha256) if backend in EXPORTED_FILES else None
        if exported:  # everything reading needs is in the graphs' metadata: no torch
            sessions, meta = exported
            alphabet, input_size = Alphabet.from_dict(meta["alphabet"]), meta["config"]["input_size"]
            return cls(alphabet, meta, input_size, sessions=sessions, checkpoints_sha256=sha256, **options)
        from .checkpoints import load_models

        stn, net, alphabet, meta = load_models(model_dir)
        return cls(alphabet, meta, net.config.input_size, modules=(stn, net), checkpoints_sha256=sha256, **options)

    def decode(self, probs) -> list[Reading]:
        """Readings of (B, C, T) probabilities with this recogniser's format, top-k and calibration."""
        readings = decode(probs, self.alphabet, self.top_k, self.plate_format)
        for r in readings:
            if self.calibration:
                r.confidence = calibration.apply(r.confidence, self.calibration)
            if self.min_confidence is not None:
                # Under a hard format a reading that fits none of its shapes is no plate, however
                # sure the network is of its characters (a preference is not broken that way).
                misfit = r.format_matched is False and hard_format(self.plate_format) is not None
                r.accepted = r.confidence >= self.min_confidence and not misfit
        return readings

    def _onnx_sessions(self) -> tuple:
        """onnxruntime sessions on the graphs saved beside the weights (``stn.onnx`` with
        ``lprnet.onnx``, or ``lprnet.int8.onnx`` for onnx-int8) when they were made from these
        weights (same run and epoch: calibrating changes the checkpoint, not the networks);
        fp32 graphs are otherwise exported on the fly (a second or two)."""
        from .export import matches, onnx_parts

        paths = [Path(self.model_dir or ".") / name for name in EXPORTED_FILES[self.backend]]
        if all(p.is_file() for p in paths):
            sessions = tuple(ort_session(p, self.threads) for p in paths)
            fresh = all(matches(s.get_modelmeta().custom_metadata_map, self.meta) for s in sessions)
            if fresh and takes_channels_last(sessions[1]):
                return sessions
            if self.backend != "onnx":
                why = "from other weights" if not fresh else "by an older lpr (plates in NCHW)"
                raise CheckpointError(f"{paths[1]} was exported {why}; export it again")
        elif self.backend != "onnx":
            raise CheckpointError(
                f"{paths[1]}: no int8 model; make one with `lpr export --int8 --model {self.model_dir} "
                "--calibration TRAIN.csv`"
            )
        return tuple(ort_session(p.SerializeToString(), self.threads) for p in onnx_parts(self))

    def preprocess(self, image) -> np.ndarray:
        """A path, array or PIL image -> BGR uint8 at the network's input size."""
        return resize(to_ndarray(image), self.input_size)

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """(B, H, W, 3) uint8 plates -> (B, classes, T) per-step class probabilities.

        With ``second_look``, plates read with doubt are read again through the warp the STN
        chose for them: its second warp, composed with the first, corrects a plate turned or
        framed beyond what one bounded warp can. The second reading replaces the first only if
        its best path is ``SECOND_LOOK_MARGIN`` nats likelier, so only plates whose first best
        path has less than that much room below certainty are looked at again.
        """
        x = to_input(batch)  # channels-last in memory, the layout the networks run fastest in
        probs, warps = self._look(x)
        if not self.second_look:
            return probs
        first = best_path_log_prob(probs)
        doubtful = np.flatnonzero(first < -SECOND_LOOK_MARGIN)
        if doubtful.size:
            again, _ = self._look(np.ascontiguousarray(x[doubtful]), warps[doubtful])
            better = best_path_log_prob(again) > first[doubtful] + SECOND_LOOK_MARGIN
            probs[doubtful[better]] = again[better]
        return probs

    def _look(self, x: np.ndarray, prior: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, warps) of network inputs ``x`` read through ``prior`` warps (None:
        a first look)."""
        if self._sessions is not None:
            plates, warps = self._rectify(x, prior)
            (probs,) = self._sessions[1].run(None, {"plate": plates})
            return probs, warps
        import torch

        from .models import Reader

        with torch.inference_mode():
            prior = None if prior is None else torch.from_numpy(prior)
            probs, warps = Reader(self.stn, self.lprnet)(torch.from_numpy(x), prior)
        return probs.numpy(), warps.numpy()

    def _rectify(self, x: np.ndarray, prior: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(plates, warps) of network inputs ``x``: the STN graph's warps (seen through ``prior``
        warps, None: a first look) and the plates sampled through them, (B, H, W, 3) as the
        LPRNet graph takes them (onnx backends). The plates live in a buffer the thread's next
        call overwrites."""
        # Both arrays are per-thread buffers reused from call to call: fresh ones cost page
        # faults, as much time as the sampling itself.
        b, c, h, w = x.shape
        view, plates = self._scratch.array("view", (b, c, h, w)), self._scratch.array("plates", (b, h, w, c))
        if prior is None:
            np.copyto(view, x)  # x is channels-last in memory; the STN graph takes NCHW
        else:
            sample_through(x, prior, self._align_corners, out=view)
        (warps,) = self._sessions[0].run(None, {"view": view} | ({} if prior is None else {"prior": prior}))
        return sample_through(x, warps, self._align_corners, out=plates, channels_last=True), warps

    def read(self, image) -> Reading:
        """Read one plate crop (path, BGR/gray array or PIL image)."""
        return self.read_batch([image])[0]

    def read_batch(self, images: list) -> list[Reading]:
        """Read several plate crops at once; raises ImageError if one cannot be decoded."""
        if not images:
            return []
        batch = np.stack([self.preprocess(im) for im in images])
        return self.decode(self.probabilities(batch))

    def read_files(self, paths: Iterable[str | Path | Sample], batch_size: int = 64) -> Iterator[Reading]:
        """Read image files in batches, streaming; an unreadable file yields a Reading with ``error``.

        Memory stays flat however many paths are given: only one batch is held at a time.
        """
        # (path, image or the Reading of an unreadable file, seconds to load): kept in input
        # order, so readings come out in the order the paths went in.
        pending: list[tuple[str, np.ndarray | Reading, float]] = []

        def flush() -> Iterator[Reading]:
            images = [img for _, img, _ in pending if not isinstance(img, Reading)]
            start = time.perf_counter()
            readings = iter(self.decode(self.probabilities(np.stack(images)))) if images else iter(())
            shared = (time.perf_counter() - start) / max(len(images), 1)  # the batch's cost, split evenly
            for path, img, load_s in pending:
                if isinstance(img, Reading):
                    yield img
                    continue
                r = next(readings)
                r.path, r.time_ms = path, (load_s + shared) * 1e3
                yield r
            pending.clear()

        decoded = 0
        for item in paths:
            # A Sample carries a plate box (raw CCPD images): read the crop, not the whole photo.
            path, box = (item.path, item.box) if isinstance(item, Sample) else (item, None)
            start = time.perf_counter()
            try:
                img = resize(load_image(path, box), self.input_size)
                decoded += 1
            except ImageError as e:
                img = Reading("", 0.0, [], path=str(path), error=str(e))
            pending.append((str(path), img, time.perf_counter() - start))
            if decoded >= batch_size or len(pending) >= 4 * batch_size:
                yield from flush()
                decoded = 0
        if pending:
            yield from flush()
