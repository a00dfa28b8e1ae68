"""Export STN + LPRNet (+ softmax) to ONNX, with a dynamic batch dimension.

    lpr export --model cn --out cn.onnx     # one graph, to deploy
    lpr export --model cn                   # stn.onnx + lprnet.onnx beside the weights

The one graph takes ``images`` (B, 3, H, W) float32 in [-1, 1] (BGR, as :func:`lpr.data.to_tensor`
makes) and returns ``probs`` (B, classes, T) probabilities and ``warp`` (B, 2, 3), the STN's
affine warp. An optional input ``prior`` (B or 1, 2, 3; the identity when left out) is a warp
the STN looks through first: pass a first look's ``warp`` to read a plate a second time (see
:class:`lpr.models.Reader`). Alphabet, input size and preprocessing travel in the model's
metadata, so an ONNX runtime user needs nothing else.

lpr itself reads with the same networks as two graphs (:func:`onnx_parts`, saved beside the
weights as stn.onnx and lprnet.onnx) and samples the plate between them with OpenCV:
onnxruntime's GridSample alone cost a sixth of the one graph's time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .checkpoints import LPRNET_FILE, checkpoint_meta, fingerprint, read_checkpoint
from .models import IDENTITY_WARP, Reader, compose_warps
from .pipeline import EXPORTED_FILES, Recognizer


def onnx_model(recognizer: Recognizer, opset: int = 17):
    """The recogniser as one checked ``onnx.ModelProto`` with its metadata: the graph to deploy."""
    w, h = recognizer.input_size
    identity = torch.tensor([IDENTITY_WARP])
    proto = traced(
        Reader(recognizer.stn, recognizer.lprnet),
        (torch.zeros(2, 3, h, w), identity),
        {"images": "batch", "prior": "warps"},
        {"probs": "batch", "warp": "batch"},
        opset,
    )
    prior_defaults_to(proto, identity)
    sample_through_prior_only_if_needed(proto, identity.numpy())
    return finished(proto, recognizer)


def onnx_parts(recognizer: Recognizer, opset: int = 17):
    """The two graphs the onnx backends read with, as ``(stn, lprnet)`` ONNX protos.

    ``stn``: ``view`` (B, 3, H, W) and optional ``prior`` -> ``warp`` (B, 2, 3), the STN's warp
    of a view already sampled through ``prior``, composed with it. ``lprnet``: ``plate``
    (B, H, W, 3), channels last as OpenCV samples it (onnxruntime reorders it as fast as NCHW)
    -> ``probs``. The sampling between them runs in :func:`lpr.data.sample_through`, ~4x faster
    than onnxruntime's GridSample; together they read what :func:`onnx_model`'s graph reads.
    """
    w, h = recognizer.input_size
    identity = torch.tensor([IDENTITY_WARP])
    stn = traced(
        _Locator(recognizer.stn),
        (torch.zeros(2, 3, h, w), identity),
        {"view": "batch", "prior": "warps"},
        {"warp": "batch"},
        opset,
    )
    prior_defaults_to(stn, identity)
    lprnet = traced(
        _Classifier(recognizer.lprnet), (torch.zeros(2, h, w, 3),), {"plate": "batch"}, {"probs": "batch"}, opset
    )
    sampling = {"lpr.align_corners": json.dumps(recognizer.stn.config.align_corners)}
    return finished(stn, recognizer, sampling), finished(lprnet, recognizer)


def prior_defaults_to(proto, identity: torch.Tensor) -> None:
    """Give the graph's ``prior`` input a default: an initializer named like an input is that
    input's default, so a first look may leave ``prior`` out."""
    from onnx import numpy_helper

    proto.graph.initializer.append(numpy_helper.from_array(identity.numpy(), "prior"))


class _Locator(torch.nn.Module):
    """(view, prior) -> the STN's warp of ``view`` composed with ``prior`` (see Reader)."""

    def __init__(self, stn) -> None:
        super().__init__()
        self.stn = stn

    def forward(self, view: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        return compose_warps(prior.expand(view.shape[0], 2, 3), self.stn.theta(view))


class _Classifier(torch.nn.Module):
    """plate (B, H, W, 3) -> class probabilities (B, C, T)."""

    def __init__(self, lprnet) -> None:
        super().__init__()
        self.lprnet = lprnet  # node names start with /lprnet/, as in the whole graph (quantize_int8)

    def forward(self, plate: torch.Tensor) -> torch.Tensor:
        return self.lprnet(plate.permute(0, 3, 1, 2)).softmax(1)


def traced(module: torch.nn.Module, args: tuple, inputs: dict[str, str], outputs: dict[str, str], opset: int):
    """``module`` in eval mode traced to an ``onnx.ModelProto``; ``inputs`` and ``outputs`` name
    each tensor and its dynamic first dimension."""
    import io
    import warnings

    import onnx

    buffer = io.BytesIO()
    with warnings.catch_warnings():  # tracing warns about the STN's size check; it is constant here
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            args,
            buffer,
            input_names=list(inputs),
            output_names=list(outputs),
            dynamic_axes={name: {0: dim} for name, dim in {**inputs, **outputs}.items()},
            opset_version=opset,
            dynamo=False,
        )
    return onnx.load_from_string(buffer.getvalue())


def finished(proto, recognizer: Recognizer, extra: dict[str, str] | None = None):
    """``proto`` with the model's metadata (alphabet, input size, preprocessing, run), checked."""
    import onnx

    w, h = recognizer.input_size
    meta = {
        "lpr.alphabet": json.dumps(recognizer.alphabet.to_dict(), ensure_ascii=False),
        "lpr.input_size": json.dumps([w, h]),
        "lpr.preprocess": "BGR uint8 resized to input_size, (x - 127.5) / 128, NCHW",
        "lpr.run_id": str(recognizer.meta.get("run_id", "")),
        "lpr.epoch": str(recognizer.meta.get("epoch", "")),
        **reading_stamp(recognizer.meta, recognizer.checkpoints_sha256),  # None once modules were swapped
        **(extra or {}),
    }
    set_metadata(proto, meta)
    onnx.checker.check_model(proto)
    return proto


def sample_through_prior_only_if_needed(proto, identity) -> None:
    """Make the graph resample ``images`` through ``prior`` only when ``prior`` is not the identity.

    A first look (most plates) passes the identity, and resampling through it changes nothing,
    but onnxruntime's GridSample is slow (~8x torch's): that one node cost ~8% of the graph's
    time. An If node now skips it, as :class:`lpr.models.Reader` does without a prior.
    """
    from onnx import TensorProto, helper, numpy_helper

    nodes = list(proto.graph.node)
    index, sampling = next((i, n) for i, n in enumerate(nodes) if n.op_type == "GridSample" and n.input[0] == "images")
    (sampled,) = sampling.output
    proto.graph.initializer.append(numpy_helper.from_array(identity, "identity_warp"))
    proto.graph.initializer.append(numpy_helper.from_array(np.array(0.0, dtype=np.float32), "no_offset"))
    prior_moves = [  # any entry of `prior` off the identity's
        helper.make_node("Sub", ["prior", "identity_warp"], ["prior_offset"]),
        helper.make_node("Abs", ["prior_offset"], ["prior_distance"]),
        helper.make_node("ReduceMax", ["prior_distance"], ["prior_largest_offset"], keepdims=0),
        helper.make_node("Greater", ["prior_largest_offset", "no_offset"], ["prior_moves"]),
    ]
    resample = helper.make_graph(
        [helper.make_node("GridSample", list(sampling.input), ["through_prior"], **attributes(sampling))],
        "through_prior",
        [],
        [helper.make_tensor_value_info("through_prior", TensorProto.FLOAT, None)],
    )
    keep = helper.make_graph(
        [helper.make_node("Identity", ["images"], ["as_they_are"])],
        "as_they_are",
        [],
        [helper.make_tensor_value_info("as_they_are", TensorProto.FLOAT, None)],
    )
    branch = helper.make_node("If", ["prior_moves"], [sampled], then_branch=resample, else_branch=keep)
    del proto.graph.node[:]
    proto.graph.node.extend(nodes[:index] + prior_moves + [branch] + nodes[index + 1 :])


def attributes(node) -> dict:
    """An ONNX node's attributes as keyword arguments for ``onnx.helper.make_node``."""
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def reading_stamp(meta: dict, checkpoints_sha256: str | None) -> dict[str, str]:
    """Metadata entries that let lpr read with a graph alone (Recognizer.load skips torch): the
    checkpoint metadata, trusted only while the checkpoint files hash to ``checkpoints_sha256``
    (without it, never)."""
    stamp = {"lpr.meta": json.dumps(meta, ensure_ascii=False, default=str)}
    if checkpoints_sha256:
        stamp["lpr.checkpoints"] = checkpoints_sha256
    return stamp


def set_metadata(proto, values: dict[str, str]) -> None:
    """Set (add or replace) metadata entries of an ``onnx.ModelProto``."""
    kept = [p for p in proto.metadata_props if p.key not in values]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    for k, v in values.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v


def restamp_exported(model_dir: str | Path) -> list[Path]:
    """Bring the graphs saved beside a model up to date with its checkpoints' metadata.

    `lpr calibrate` rewrites lprnet.pt but not the network: a graph exported before would
    no longer match the checkpoint files byte for byte and would load through torch (the same
    readings, a second slower). Graphs of other weights are left alone.
    """
    import onnx

    model_dir = Path(model_dir)
    meta = checkpoint_meta(read_checkpoint(model_dir / LPRNET_FILE, "lpr.lprnet"))
    stamped = []
    for name in sorted({name for names in EXPORTED_FILES.values() for name in names}):
        path = model_dir / name
        if not path.is_file():
            continue
        proto = onnx.load(str(path))
        if not matches({p.key: p.value for p in proto.metadata_props}, meta):
            continue
        set_metadata(proto, reading_stamp(meta, fingerprint(model_dir)))
        onnx.save(proto, str(path))
        stamped.append(path)
    return stamped


def export_onnx(recognizer: Recognizer, out: str | Path, opset: int = 17) -> Path:
    """Write the recogniser to ``out`` as one ONNX graph; returns the path."""
    import onnx

    out = Path(out)
    onnx.save(onnx_model(recognizer, opset), str(out))
    return out


def export_for_reading(recognizer: Recognizer, opset: int = 17, int8_calibration: list | None = None) -> list[Path]:
    """Save the two graphs ``--backend onnx`` reads with (:func:`onnx_parts`) beside the weights,
    or with ``int8_calibration`` (plate images) those of ``--backend onnx-int8``."""
    import onnx

    backend = "onnx" if int8_calibration is None else "onnx-int8"
    stn_path, lprnet_path = (Path(recognizer.model_dir) / name for name in EXPORTED_FILES[backend])
    stn, lprnet = onnx_parts(recognizer, opset)
    onnx.save(stn, str(stn_path))
    if int8_calibration is None:
        onnx.save(lprnet, str(lprnet_path))
    else:
        quantize_int8(recognizer, int8_calibration, lprnet_path, proto=lprnet)
    return [stn_path, lprnet_path]


def matches(session_meta: dict, recognizer_meta: dict) -> bool:
    """Whether an exported graph was made from exactly these weights (same run and epoch)."""
    return session_meta.get("lpr.run_id") == str(recognizer_meta.get("run_id", "")) and session_meta.get(
        "lpr.epoch", str(recognizer_meta.get("epoch", ""))
    ) == str(recognizer_meta.get("epoch", ""))


def quantize_int8(
    recognizer: Recognizer,
    calibration: list,
    out: str | Path,
    whole: bool = False,
    batch_size: int = 32,
    proto=None,
) -> Path:
    """Post-training static int8 quantisation of LPRNet, calibrated on real plate images.

    ``calibration`` is a list of image paths (or arrays) of real plates, e.g. a training
    split: activation ranges are only as good as the plates they are measured on. Writes the
    LPRNet graph the onnx-int8 backend reads (:func:`onnx_parts`), or with ``whole`` the one
    graph of :func:`onnx_model`; ``proto`` is the fp32 graph to quantise when the caller has
    already made it. The STN's small localisation net and the sampling stay in float (int8
    there would move the warp, and they cost little).
    """
    import tempfile

    import numpy as np
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from .data import to_tensor

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            batches = [calibration[i : i + batch_size] for i in range(0, len(calibration), batch_size)]
            self._it = iter(batches)

        def get_next(self):
            batch = next(self._it, None)
            if batch is None:
                return None
            x = to_tensor(np.stack([recognizer.preprocess(im) for im in batch]))
            if whole:
                return {"images": x.numpy()}
            with torch.no_grad():  # LPRNet's own inputs: the plates as the STN rectifies them
                return {"plate": recognizer.stn(x).permute(0, 2, 3, 1).contiguous().numpy()}

    if proto is None:
        proto = onnx_model(recognizer) if whole else onnx_parts(recognizer)[1]
    # LPRNet's nodes only: the STN, the warps and the glue between them stay in float.
    stn_nodes = [n.name for n in proto.graph.node if not n.name.startswith("/lprnet/")]
    # Convolutions only, and not the first (raw pixels) or the last (the class scores): the
    # variant that kept accuracy within 0.5 points on the cn validation split (see README).
    convs = [n.name for n in proto.graph.node if n.op_type == "Conv" and n.name not in stn_nodes]
    keep_float = stn_nodes + [convs[0], convs[-1]]
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        onnx.save(proto, str(fp32))
        quantize_static(
            str(fp32),
            str(out),
            Reader(),
            quant_format=QuantFormat.QOperator,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["Conv"],
            nodes_to_exclude=keep_float,
        )
    q = onnx.load(str(out))
    del q.metadata_props[:]
    q.metadata_props.extend(proto.metadata_props)
    onnx.save(q, str(out))
    return out
