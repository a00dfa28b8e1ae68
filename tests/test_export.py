"""ONNX export: one checked graph to deploy and the two lpr reads with, numerically equal to
torch, same readings as torch."""

import json

import numpy as np
import onnx
import onnxruntime as ort
import torch

from lpr.cli import main
from lpr.pipeline import Recognizer

from .conftest import SAMPLES


def test_export_is_one_checked_graph_with_metadata(tiny_run, tmp_path):
    out = tmp_path / "m.onnx"
    assert main(["export", "--model", str(tiny_run), "--out", str(out)]) == 0
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto)
    ops = {n.op_type for n in proto.graph.node}
    assert "MaxPool" in ops and "GridSample" in ops  # STN and LPRNet in the same graph
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["lpr.input_size"]) == [94, 24]
    assert json.loads(meta["lpr.alphabet"])["name"] == "cn"


def test_onnx_matches_torch_numerically_at_any_batch_size(tiny_run, tmp_path):
    r = Recognizer.load(tiny_run)
    out = tmp_path / "m.onnx"
    main(["export", "--model", str(tiny_run), "--out", str(out)])
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for batch in (1, 5):
        x = torch.rand(batch, 3, 24, 94) * 2 - 1
        with torch.no_grad():
            expected = r.lprnet(r.stn(x)).softmax(1).numpy()
        got = session.run(None, {"images": x.numpy()})[0]
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() < 1e-4  # measured: ~6e-6


def test_onnx_backend_reads_like_torch(tiny_run):
    paths = sorted(str(p) for p in SAMPLES.glob("*.jpg"))
    torch_readings = list(Recognizer.load(tiny_run, backend="torch").read_files(paths))
    onnx_readings = list(Recognizer.load(tiny_run, backend="onnx").read_files(paths))
    assert [r.text for r in torch_readings] == [r.text for r in onnx_readings]
    assert np.allclose([r.confidence for r in torch_readings], [r.confidence for r in onnx_readings], atol=1e-4)


def test_int8_backend_needs_its_export_and_then_reads(tiny_run, tmp_path):
    import shutil

    import pytest

    from lpr.checkpoints import CheckpointError

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    with pytest.raises(CheckpointError, match="no int8 model"):
        Recognizer.load(run, backend="onnx-int8")
    assert main(["export", "--int8", "--model", str(run), "--calibration", str(SAMPLES / "labels.csv")]) == 0
    assert (run / "lprnet.int8.onnx").exists()
    paths = sorted(str(p) for p in SAMPLES.glob("*.jpg"))
    int8 = list(Recognizer.load(run, backend="onnx-int8").read_files(paths))
    fp32 = list(Recognizer.load(run).read_files(paths))
    assert len(int8) == len(fp32) and all(r.error is None for r in int8)
    assert (
        np.mean([a.text == b.text for a, b in zip(int8, fp32)]) >= 0.5
    )  # a 2-epoch toy model; real figures in the card


def test_the_whole_int8_graph_quantises_lprnet_and_reads_like_fp32(tiny_run, tmp_path):
    from lpr.data import load_image, resize, to_input

    out = tmp_path / "m.int8.onnx"
    calibration = ["--calibration", str(SAMPLES / "labels.csv")]
    assert main(["export", "--int8", "--model", str(tiny_run), "--out", str(out), *calibration]) == 0
    ops = [n.op_type for n in onnx.load(str(out)).graph.node]
    assert "QLinearConv" in ops and "GridSample" in ops  # LPRNet in int8, the STN's warp in float
    x = to_input(np.stack([resize(load_image(p), (94, 24)) for p in sorted(SAMPLES.glob("*.jpg"))]))
    int8 = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(["probs"], {"images": x})[0]
    fp32 = Recognizer.load(tiny_run, backend="torch")
    with torch.no_grad():
        expected = fp32.lprnet(fp32.stn(torch.from_numpy(np.ascontiguousarray(x)))).softmax(1).numpy()
    assert int8.shape == expected.shape
    assert np.mean(int8.argmax(1) == expected.argmax(1)) > 0.9  # per-frame classes; measured: all


def test_onnx_backend_uses_the_saved_graph_only_when_it_matches_the_weights(tiny_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    assert main(["export", "--model", str(run)]) == 0  # default: beside the weights
    saved = run / "lprnet.onnx"
    assert saved.is_file() and (run / "stn.onnx").is_file()
    r = Recognizer.load(run, backend="onnx")
    assert r._sessions[1]._model_path == str(saved)  # loaded, not exported again

    ckpt = torch.load(run / "lprnet.pt", weights_only=True)
    stn = torch.load(run / "stn.pt", weights_only=True)
    ckpt["epoch"] = stn["epoch"] = 99  # newer weights of the same run: the saved graph is stale
    torch.save(ckpt, run / "lprnet.pt"), torch.save(stn, run / "stn.pt")
    r = Recognizer.load(run, backend="onnx")
    assert r._sessions[1]._model_path != str(saved)
    img = str(SAMPLES / "ccpd_0004.jpg")
    assert r.read(img).text == Recognizer.load(run, backend="torch").read(img).text


def test_an_lprnet_graph_of_an_older_lpr_taking_nchw_plates_is_not_read(tiny_run, tmp_path):
    import shutil

    import pytest

    from lpr.checkpoints import CheckpointError
    from lpr.export import finished, traced

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    r = Recognizer.load(run, backend="torch")

    class OldClassifier(torch.nn.Module):  # what lpr exported before plates went channels-last
        def __init__(self) -> None:
            super().__init__()
            self.lprnet = r.lprnet

        def forward(self, plate):
            return self.lprnet(plate).softmax(1)

    old = traced(OldClassifier(), (torch.zeros(2, 3, 24, 94),), {"plate": "batch"}, {"probs": "batch"}, 17)
    onnx.save(finished(old, r), str(run / "lprnet.onnx"))
    onnx.save(finished(old, r), str(run / "lprnet.int8.onnx"))
    fresh = Recognizer.load(run, backend="onnx")  # same run and epoch, but exported again
    assert fresh._sessions[1]._model_path != str(run / "lprnet.onnx")
    img = str(SAMPLES / "ccpd_0004.jpg")
    assert fresh.read(img).text == r.read(img).text
    with pytest.raises(CheckpointError, match="older lpr"):
        Recognizer.load(run, backend="onnx-int8")


def test_a_model_with_its_exported_graph_reads_without_importing_torch(tiny_run, tmp_path):
    import shutil
    import subprocess
    import sys

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    assert main(["export", "--model", str(run)]) == 0
    img = str(SAMPLES / "ccpd_0004.jpg")
    script = (
        "import sys, json\n"
        "from lpr import Recognizer\n"
        "from lpr.cli import main\n"
        f"r = Recognizer.load({str(run)!r})\n"
        f"main(['predict', '--model', {str(run)!r}, {img!r}])\n"  # the CLI's parser and predict too
        f"print(json.dumps([r.read({img!r}).text, 'torch' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    text, imported_torch = json.loads(out.splitlines()[-1])
    assert not imported_torch
    assert text == Recognizer.load(run, backend="torch").read(img).text
    assert out.splitlines()[0].split("\t")[1] == text  # what lpr predict printed
    # The modules are still there for whoever asks (export, the STN grid): loaded on demand.
    r = Recognizer.load(run)
    assert tuple(r.lprnet.config.input_size) == (94, 24)


def test_the_graph_metadata_is_trusted_only_for_the_exact_checkpoint_files(tiny_run, tmp_path):
    import shutil

    from lpr.calibration import calibrate_model
    from lpr.checkpoints import fingerprint
    from lpr.pipeline import exported_graphs

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    assert main(["export", "--model", str(run)]) == 0
    assert exported_graphs(run, "onnx", 1, fingerprint(run)) is not None
    ckpt = torch.load(run / "lprnet.pt", weights_only=True)
    ckpt["calibration"] = {"method": "identity"}  # changed metadata, same weights
    torch.save(ckpt, run / "lprnet.pt")
    assert exported_graphs(run, "onnx", 1, fingerprint(run)) is None  # stale: read through torch
    assert Recognizer.load(run).calibration == {"method": "identity"}
    # Calibrating re-stamps the graphs beside the weights, so they load without torch again.
    calibrate_model(run, [str(SAMPLES / "labels.csv")])
    _, meta = exported_graphs(run, "onnx", 1, fingerprint(run))
    assert meta["calibration"]["fitted_on"] == [str(SAMPLES / "labels.csv")]
    assert Recognizer.load(run).calibration == meta["calibration"]
    # A graph of modules swapped by hand is not stamped as the saved weights.
    from lpr.export import onnx_model
    from lpr.models import STN

    r = Recognizer.load(run, backend="torch")
    stamped = {p.key for p in onnx_model(r).metadata_props}
    r.stn = STN(r.stn.config)
    assert "lpr.checkpoints" in stamped and "lpr.checkpoints" not in {p.key for p in onnx_model(r).metadata_props}


def test_the_graph_takes_a_first_looks_warp_for_a_second_look_like_torch(tiny_run, tmp_path):
    from lpr.models import IDENTITY_WARP, Reader

    r = Recognizer.load(tiny_run, backend="torch")
    out = tmp_path / "m.onnx"
    main(["export", "--model", str(tiny_run), "--out", str(out)])
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = torch.rand(3, 3, 24, 94) * 2 - 1
    probs, warp = session.run(None, {"images": x.numpy()})  # `prior` left out: a first look
    again, warp2 = session.run(None, {"images": x.numpy(), "prior": warp})
    reader = Reader(r.stn, r.lprnet).eval()
    with torch.no_grad():
        expected, expected_warp = reader(x, torch.tensor([IDENTITY_WARP]))
        expected_again, _ = reader(x, torch.from_numpy(warp))
    assert np.abs(probs - expected.numpy()).max() < 1e-4 and np.abs(warp - expected_warp.numpy()).max() < 1e-5
    assert np.abs(again - expected_again.numpy()).max() < 1e-4


def _steps(p: float, classes: int, steps: int) -> np.ndarray:
    """(classes, steps) probabilities whose best path is class 1 at probability ``p`` per step."""
    out = np.full((classes, steps), (1 - p) / (classes - 1), np.float32)
    out[1] = p
    return out


def test_a_second_look_replaces_only_readings_it_makes_e_times_likelier(tiny_run):
    r = Recognizer.load(tiny_run, backend="torch")
    C, T = r.alphabet.num_classes, 18
    first = np.stack([_steps(0.99, C, T), _steps(0.8, C, T), _steps(0.8, C, T)])  # sure, doubtful, doubtful
    second = np.stack([_steps(0.9, C, T), _steps(0.81, C, T)])  # +2.1 nats, +0.2 nats
    warps = np.random.default_rng(0).normal(size=(3, 2, 3)).astype(np.float32)
    calls = []

    def look(x, prior=None):
        calls.append((len(x), prior))
        return (first.copy(), warps) if prior is None else (second, warps[: len(x)])

    r._look = look
    probs = r.probabilities(np.zeros((3, 24, 94, 3), np.uint8))
    assert [n for n, _ in calls] == [3, 2] and np.array_equal(calls[1][1], warps[[1, 2]])  # the doubtful ones
    assert np.array_equal(probs[0], first[0]) and np.array_equal(probs[1], second[0])
    assert np.array_equal(probs[2], first[2])  # not likelier enough: the first reading stays
    calls.clear()
    r.second_look = False
    assert np.array_equal(r.probabilities(np.zeros((3, 24, 94, 3), np.uint8)), first) and len(calls) == 1


def test_the_backend_samples_plates_as_the_stn_does(tiny_run):
    from lpr.data import load_image, resize, sample_through, to_input

    r = Recognizer.load(tiny_run, backend="torch")
    x = to_input(np.stack([resize(load_image(p), (94, 24)) for p in sorted(SAMPLES.glob("*.jpg"))[:4]]))
    warps = np.array([[[0.9, 0.2, 0.1], [-0.15, 0.8, -0.05]], [[1.3, -0.1, 0.3], [0.2, 1.2, 0.2]]] * 2, np.float32)
    with torch.no_grad():
        expected = r.stn.warp(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(warps)).numpy()
    got = sample_through(x, warps, r.stn.config.align_corners)
    assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-3  # measured: ~1e-5
    assert got.flags["C_CONTIGUOUS"]
    # Each plate is sampled alone: the same pixels at any batch size or place in the batch.
    assert all(np.array_equal(sample_through(x[i : i + 1], warps[i : i + 1]), got[i : i + 1]) for i in range(4))
    many = np.repeat(x, 400, axis=0)  # 1,600 plates x 24 rows: more than one cv2 image may hold
    assert np.array_equal(sample_through(many, np.repeat(warps, 400, axis=0))[::400], got)
    # Channels last (what the LPRNet graph takes): the same pixels, into a buffer if given.
    out = np.full((4, 24, 94, 3), np.nan, np.float32)
    assert sample_through(x, warps, r.stn.config.align_corners, out=out, channels_last=True) is out
    assert np.array_equal(out.transpose(0, 3, 1, 2), got)


def test_the_two_graphs_read_what_the_one_graph_reads(tiny_run, tmp_path):
    out = tmp_path / "m.onnx"
    main(["export", "--model", str(tiny_run), "--out", str(out)])
    whole = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    r = Recognizer.load(tiny_run, backend="onnx")  # the graphs lpr train saved beside the weights
    x = (np.random.default_rng(0).uniform(-1, 1, (3, 3, 24, 94))).astype(np.float32)
    probs, warp = r._look(x)
    expected, expected_warp = whole.run(None, {"images": x})
    assert np.abs(warp - expected_warp).max() < 1e-5 and np.abs(probs - expected).max() < 1e-3
    again, _ = r._look(x, warp)  # a second look
    expected_again, _ = whole.run(None, {"images": x, "prior": warp})
    assert np.abs(again - expected_again).max() < 1e-3


def test_a_finished_run_saves_the_graphs_predict_reads_without_torch(tiny_run):
    from lpr.checkpoints import fingerprint
    from lpr.pipeline import exported_graphs

    assert (tiny_run / "stn.onnx").is_file() and (tiny_run / "lprnet.onnx").is_file()
    assert exported_graphs(tiny_run, "onnx", 1, fingerprint(tiny_run)) is not None  # stamped for these weights
