"""Export STN + LPRNet (+ softmax) as one ONNX graph with a dynamic batch dimension.

    lpr export --model cn --out cn.onnx

The graph takes (B, 3, H, W) float32 in [-1, 1] (BGR, as :func:`lpr.data.to_tensor` makes)
and returns (B, classes, T) probabilities. Alphabet, input size and preprocessing travel in
the model's metadata, so an ONNX runtime user needs nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from .pipeline import Recognizer


class Reader(nn.Module):
    """STN -> LPRNet -> softmax over classes: the whole network as one module."""

    def __init__(self, stn: nn.Module, lprnet: nn.Module) -> None:
        super().__init__()
        self.stn, self.lprnet = stn, lprnet

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, H, W) -> (B, C, T)
        return self.lprnet(self.stn(x)).softmax(1)


def onnx_model(recognizer: Recognizer, opset: int = 17):
    """The recogniser as a checked ``onnx.ModelProto`` with its metadata."""
    import io
    import warnings

    import onnx

    w, h = recognizer.input_size
    model = Reader(recognizer.stn, recognizer.lprnet).eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # tracing warns about the STN's size check; it is constant here
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(2, 3, h, w),), buffer, input_names=["images"],
                          output_names=["probs"], dynamic_axes={"images": {0: "batch"}, "probs": {0: "batch"}},
                          opset_version=opset, dynamo=False)
    proto = onnx.load_from_string(buffer.getvalue())
    meta = {
        "lpr.alphabet": json.dumps(recognizer.alphabet.to_dict(), ensure_ascii=False),
        "lpr.input_size": json.dumps([w, h]),
        "lpr.preprocess": "BGR uint8 resized to input_size, (x - 127.5) / 128, NCHW",
        "lpr.run_id": str(recognizer.meta.get("run_id", "")),
    }
    for k, v in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.checker.check_model(proto)
    return proto


def export_onnx(recognizer: Recognizer, out: str | Path, opset: int = 17) -> Path:
    """Write the recogniser to ``out`` as one ONNX graph; returns the path."""
    import onnx

    out = Path(out)
    onnx.save(onnx_model(recognizer, opset), str(out))
    return out
