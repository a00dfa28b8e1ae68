"""End to end through the command line: train -> predict -> evaluate on a tiny dataset."""

import io
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from lpr.cli import expand_inputs, main
from lpr.pipeline import Recognizer

from .conftest import ROOT, SAMPLES


def _sample_labels() -> dict[str, str]:
    """{file name: label} of the shipped samples."""
    return dict(line.split(",") for line in (SAMPLES / "labels.csv").read_text(encoding="utf-8").splitlines()[1:])


def test_training_writes_two_self_describing_checkpoints(tiny_run):
    import torch

    stn = torch.load(tiny_run / "stn.pt", weights_only=True)
    net = torch.load(tiny_run / "lprnet.pt", weights_only=True)
    assert stn["run_id"] == net["run_id"]
    assert net["alphabet"]["name"] == "cn" and net["epoch"] == 2
    assert "sequence_accuracy" in net["metrics"]["val"][next(iter(net["metrics"]["val"]))]
    assert (tiny_run / "train_state.pt").exists() and (tiny_run / "config.yaml").exists()


def test_stn_learns_after_its_warmup(tiny_run):
    stn, *_ = __import__("lpr.checkpoints", fromlist=["load_models"]).load_models(tiny_run)
    assert stn.params.weight.abs().sum() > 0  # epoch 2 trained the STN's output layer


def test_resume_continues_from_the_last_epoch(tmp_path, tiny_dataset, capsys):
    args = [
        "train",
        "--data",
        str(tiny_dataset),
        "--out",
        str(tmp_path),
        "--batch-size",
        "4",
        "--seed",
        "3",
        "--quiet",
        "--threads",
        "2",
        "--epoch-size",
        "8",
    ]
    small = tmp_path / "small.yaml"
    small.write_text("model: {stem: 16, block1: 32, block2: 64, head: 64}\n")
    assert main(args + ["--config", str(small), "--epochs", "1"]) == 0
    assert main(args + ["--config", str(small), "--epochs", "2", "--resume"]) == 0
    import torch

    state = torch.load(tmp_path / "train_state.pt", weights_only=True)
    assert [h["epoch"] for h in state["history"]] == [1, 2]
    assert (tmp_path / "config.yaml").exists()


def test_predict_prints_path_text_confidence(tiny_run, capsys):
    assert main(["predict", "--model", str(tiny_run), str(SAMPLES)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 8
    for line in lines:
        path, text, conf = line.split("\t")
        assert path.endswith(".jpg") and 0.0 <= float(conf) <= 1.0


def test_inputs_expand_files_folders_and_patterns(tmp_path):
    shots = tmp_path / "shots.jpg"  # a folder named like an image is still a folder
    (shots / "day").mkdir(parents=True)
    for name in ("a.jpg", "day/b.PNG", "notes.txt"):
        (shots / name).write_bytes(b"")
    (tmp_path / "c.jpeg").write_bytes(b"")
    paths, missing = expand_inputs(
        [str(shots), str(tmp_path / "*.jpeg"), str(tmp_path / "gone.jpg"), str(tmp_path / "*.bmp")]
    )
    assert [Path(p).relative_to(tmp_path).as_posix() for p in paths] == [
        "shots.jpg/a.jpg",
        "shots.jpg/day/b.PNG",
        "c.jpeg",
    ]
    assert [why for _, why in missing] == ["no such file", "pattern matches nothing"]


def test_predict_json_and_failure_exit_code(tiny_run, tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_text("<html></html>")
    code = main(
        [
            "predict",
            "--json",
            "--model",
            str(tiny_run),
            str(SAMPLES / "ccpd_0004.jpg"),
            str(bad),
            str(tmp_path / "missing.jpg"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    document = json.loads(captured.out)
    assert document["schema_version"] == 1 and document["model"] == str(tiny_run)
    items = document["readings"]
    # missing paths first (found before reading starts), then the files in the order given
    assert [i["path"].rsplit("/", 1)[-1] for i in items] == ["missing.jpg", "ccpd_0004.jpg", "bad.jpg"]
    assert [i.get("error") is not None for i in items] == [True, False, True]
    assert {"path", "text", "confidence", "char_confidences", "time_ms"} <= set(items[1])
    assert "bad.jpg" in captured.err and "missing.jpg" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "command", ["predict", "evaluate", "serve", "calibrate", "models", "train", "export", "bench", "synth"]
)
def test_every_command_has_working_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: lpr" in capsys.readouterr().out


def test_unknown_model_is_a_usage_error(capsys):
    assert main(["predict", "--model", "no-such-model", str(SAMPLES)]) == 2
    assert "no model" in capsys.readouterr().err


def test_evaluate_json_contract(tiny_run, tmp_path):
    out = tmp_path / "result.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "evaluate.py"),
            "--model",
            str(tiny_run),
            "--data",
            str(SAMPLES / "labels.csv"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    for key in ("n", "sequence_accuracy", "char_error_rate", "plates_per_second", "failed", "errors"):
        assert key in result
    assert result["n"] == 8 and result["plates_per_second"] > 0
    assert len(result["errors"]) == round(8 * (1 - result["sequence_accuracy"]))
    low, high = result["sequence_accuracy_ci95"]
    assert 0 <= low <= result["sequence_accuracy"] <= high <= 1 and high - low > 0.2  # 8 plates say little
    assert "sequence accuracy" in proc.stdout and "95% interval" in proc.stdout


def test_cli_backend_option_matches_the_recognizer():
    from lpr.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    for command in ("predict", "evaluate", "serve", "bench"):
        backend = next(a for a in sub[command]._actions if a.dest == "backend")
        assert backend.default == Recognizer.DEFAULT_BACKEND, command
        assert sorted(backend.choices) == sorted(Recognizer.BACKENDS), command


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_recognizer_batch_size_independent(tiny_run, backend):
    r = Recognizer.load(tiny_run, backend=backend)
    paths = sorted(str(p) for p in SAMPLES.glob("*.jpg"))
    one = [r.read(p) for p in paths]
    many = list(r.read_files(paths, batch_size=8))
    three = list(r.read_files(paths, batch_size=3))
    assert [x.text for x in one] == [x.text for x in many] == [x.text for x in three]
    assert np.allclose([x.confidence for x in one], [x.confidence for x in many], atol=1e-5)


def test_recognizer_accepts_arrays_and_grayscale(tiny_run):
    import cv2

    r = Recognizer.load(tiny_run)
    img = cv2.imread(str(SAMPLES / "ccpd_0004.jpg"))
    assert r.read(img).text == r.read(str(SAMPLES / "ccpd_0004.jpg")).text
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    assert isinstance(r.read(gray).text, str)


@pytest.mark.skipif(not (ROOT / "weights" / "cn" / "lprnet.pt").exists(), reason="no shipped cn model")
def test_shipped_cn_model_reads_the_samples():
    r = Recognizer.load("cn")
    expected = _sample_labels()
    readings = {p: r.read(SAMPLES / p).text for p in expected}
    correct = sum(readings[p] == t for p, t in expected.items())
    # The samples span 8 provinces on two cameras, harder than the average validation plate;
    # the card gives the full-split figures. This guards against shipping broken weights.
    assert correct >= 6, readings


def test_evaluation_reads_raw_ccpd_images_through_their_box(tiny_run, tmp_path):
    import cv2

    from lpr.data import parse_ccpd_name, read_source
    from lpr.evaluation import evaluate_model

    plate = cv2.imread(str(SAMPLES / "ccpd_0004.jpg"))  # 94x24
    photo = np.zeros((300, 400, 3), np.uint8)
    photo[100:124, 150:244] = plate
    name = "025-95_113-150&100_244&124-244&124_150&124_150&100_244&100-1_2_23_25_5_15_27-37-15.png"
    cv2.imwrite(str(tmp_path / name), photo)
    r = Recognizer.load(tiny_run)
    (crop_reading,) = r.read_files(read_source(tmp_path))
    assert crop_reading.confidence == pytest.approx(r.read(plate).confidence, abs=1e-6)
    assert crop_reading.confidence != pytest.approx(r.read(photo).confidence, abs=1e-6)
    result = evaluate_model(r, tmp_path)
    label = parse_ccpd_name(name)[0]
    assert result["n"] == 1 and not result["failed"]
    assert (result["errors"][0]["predicted"] if result["errors"] else label) == crop_reading.text


def test_models_lists_shipped_and_user_models(tiny_run, tmp_path, capsys, monkeypatch):
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "mine")
    (runs / "broken").mkdir()
    (runs / "broken" / "lprnet.pt").write_bytes(b"not a checkpoint")
    assert main(["models", str(runs), "--json"]) == 0
    models = {m["name"]: m for m in json.loads(capsys.readouterr().out)}
    assert models["cn"]["kind"] == "shipped" and models["cn"]["alphabet"] == "cn"
    assert models["cn"]["input_size"] == [94, 24] and models["cn"]["val"]["ccpd"] > 0.9
    assert models["cn"]["val_source"] == "card" and "ccpd distorted" not in models["cn"]["val"]
    mine = models[str(runs / "mine")]
    assert mine["kind"] == "user" and mine["epoch"] == 2 and mine["size_mb"] > 0
    assert mine["val_source"] == "training" and len(mine["val"]) == 1  # no card: the checkpoint's figure
    assert "error" in models[str(runs / "broken")]

    assert main(["models", str(runs)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["NAME", "KIND", "ALPHABET", "INPUT"]
    assert any(line.startswith("cn ") and "94x24" in line for line in table)

    monkeypatch.chdir(tmp_path)  # no folders named: ./runs is searched
    assert main(["models", "--json"]) == 0
    assert "runs/mine" in {m["name"] for m in json.loads(capsys.readouterr().out)}


def test_card_accuracy_reads_the_cards_accuracy_table_only(tmp_path):
    from lpr.catalog import card_accuracy

    assert card_accuracy(tmp_path) is None
    (tmp_path / "README.md").write_text(
        "# card\n\n| split | plates | sequence accuracy | free reading |\n|---|---|---|---|\n"
        "| us | 108 | 90.74% | 91.67% |\n| us distorted | 108 | 81.48% | 81.48% |\n| tw | 317 | 94.01% | 93.06% |\n"
        "\nText.\n\n| split | plates | sequence accuracy |\n|---|---|---|\n| other | 5 | 10.00% |\n",
        encoding="utf-8",
    )
    assert card_accuracy(tmp_path) == {"us": 0.9074, "tw": 0.9401}


def test_predict_top_k_and_format(capsys):
    image = str(SAMPLES / "ccpd_0004.jpg")
    assert main(["predict", image, "--json", "--top-k", "3"]) == 0
    (r,) = json.loads(capsys.readouterr().out)["readings"]
    assert r["format"] == "cn" and r["format_matched"] is True
    assert 1 <= len(r["candidates"]) <= 3 and r["candidates"][0]["text"] == r["text"]
    probs = [c["probability"] for c in r["candidates"]]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6

    assert main(["predict", image, "--json", "--format", "none"]) == 0
    (free,) = json.loads(capsys.readouterr().out)["readings"]
    assert "format" not in free and "candidates" not in free and free["text"] == r["text"]

    assert main(["predict", image, "--format", "[AB"]) == 2  # a broken pattern is a one-line error
    assert "'[' without ']'" in capsys.readouterr().err


def test_predict_reads_an_image_from_stdin(monkeypatch, capsys):
    image = SAMPLES / "ccpd_0004.jpg"
    data = image.read_bytes()
    assert Recognizer.load("cn").read(data).text == "沪C21F13"  # bytes of an image file, from Python too
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["predict", "-", str(image)]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(path, text) for path, text, _ in lines] == [("-", "沪C21F13"), (str(image), "沪C21F13")]
    assert lines[0][2] == lines[1][2]  # the same confidence as from the file
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data[:300])))  # cut short
    assert main(["predict", "-", "--json"]) == 1
    (r,) = json.loads(capsys.readouterr().out)["readings"]
    assert r["path"] == "-" and r["text"] == "" and "truncated" in r["error"]


def test_predict_min_confidence_marks_each_reading(capsys):
    image = str(SAMPLES / "ccpd_0004.jpg")
    assert main(["predict", image]) == 0
    assert capsys.readouterr().out.count("\t") == 2  # no threshold: path, text, confidence
    assert main(["predict", image, "--min-confidence", "model"]) == 0  # shipped cn is calibrated
    out, err = capsys.readouterr()
    path, text, confidence, verdict = out.strip().split("\t")
    assert text == "沪C21F13" and float(confidence) > 0.9 and verdict == "accepted"
    stored = Recognizer.load("cn").calibration["threshold"]
    assert f"1 of 1 readings accepted (confidence >= {stored:.4f}" in err  # the stored threshold ...
    assert "format cn)" in err  # ... and cn's shapes
    assert main(["predict", image, str(SAMPLES / "cn2_0012.jpg"), "--min-confidence", "1", "--json"]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["min_confidence"] == 1.0 and "0 of 2 readings accepted" in err
    r = document["readings"][0]
    assert r["text"] == "沪C21F13" and r["confidence"] < 1 and r["accepted"] is False
    assert main(["predict", image, "--min-confidence", "1.5"]) == 2
    assert "[0, 1]" in capsys.readouterr().err


def test_a_reading_outside_a_hard_format_is_rejected_however_confident(tmp_path, capsys):
    scrap = tmp_path / "scrap.png"  # a few pixels of a plate: the network still reads a character
    cv2.imwrite(str(scrap), cv2.imread(str(SAMPLES / "ccpd_0004.jpg"))[:5, :9])
    assert main(["predict", str(scrap), "--min-confidence", "0", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["readings"][0]
    assert r["format_matched"] is False and r["accepted"] is False
    # Free reading (no format to break): the same image is judged by its confidence alone.
    assert main(["predict", str(scrap), "--min-confidence", "0", "--format", "none", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["readings"][0]["accepted"] is True


def test_evaluate_report_is_self_contained(tiny_run, tmp_path):
    import re

    out = tmp_path / "report"
    assert (
        main(["evaluate", "--model", str(tiny_run), "--data", str(SAMPLES / "labels.csv"), "--report", str(out)]) == 0
    )
    page = (out / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # no network assets
    assert page.count('alt="reject curve"') == 1 and page.count('alt="confusions"') <= 1
    wrong = int(re.search(r"Every wrong reading \((\d+)\)", page).group(1))
    assert page.count('alt="rectified"') == wrong and wrong > 0  # the tiny model is mostly wrong
    assert "95% interval" in page


def test_stn_views_from_predict_and_training(tiny_run, tmp_path, capsys):
    import cv2

    out = tmp_path / "stn.png"
    assert main(["predict", "--model", str(tiny_run), str(SAMPLES), "--show-stn", str(out)]) == 0
    grid = cv2.imread(str(out))
    assert grid is not None and grid.shape[0] > 24 * 2 * 4  # 8 plates, 2 pairs per row, scaled 2x
    assert sorted(p.name for p in (tiny_run / "stn").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    capsys.readouterr()
    assert main(["predict", "--model", str(tiny_run), str(SAMPLES), "--show-stn", str(tmp_path / "views")]) == 2
    captured = capsys.readouterr()
    assert "--show-stn" in captured.err and ".png" in captured.err and captured.out == ""  # refused before reading


@pytest.mark.skipif(not (ROOT / "weights" / "latin" / "lprnet.pt").exists(), reason="no shipped latin model")
def test_shipped_latin_model_reads_clean_plates_of_every_layout():
    from lpr import synth

    r = Recognizer.load("latin")
    assert r.input_size == (128, 32) and r.alphabet.name == "latin"
    rng = np.random.default_rng(2024)  # a seed no training set uses
    layouts = ["us", "eu", "uk", "mercosur", "br_old", "tw", "uz"]
    plates = [synth.random_plate(rng, style) for style in layouts for _ in range(4)]
    images = [synth.render_plate(p.printed, rng, None, p.style, clean=True) for p in plates]
    readings = [x.text for x in r.read_batch(images)]
    correct = sum(x == p.label for x, p in zip(readings, plates))
    # Clean, flat renders; broken weights read none. The shipped model reads 20 of 28: it still
    # keeps printed dashes that only Taiwan's labels keep (see its card).
    assert correct >= 0.5 * len(plates), list(zip(readings, [p.label for p in plates]))


def test_evaluation_summary_lists_confident_errors_apart_as_label_suspects():
    from lpr.evaluation import CONFIDENT_ERROR, summary

    def error(i, confidence):
        return {"path": f"p{i}.jpg", "expected": "A1", "predicted": "B1", "confidence": confidence}

    base = {"n": 40, "sequence_accuracy": 0.0, "char_error_rate": 0.5, "plates_per_second": 1.0, "batch_size": 1}
    base |= {"failed": [], "ece": 0.0, "label_problems": []}
    # 20 unsure errors fill the usual list; of the 5 sure ones, the list shows none.
    errors = [error(i, 0.1 + i / 100) for i in range(20)] + [error(20 + i, 0.95 + i / 100) for i in range(5)]
    lines = summary(base | {"errors": errors}, "m", "d").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  confident errors"))
    assert [line.split("\t")[0].strip() for line in lines[start + 1 :]] == [f"p{i}.jpg" for i in (24, 23, 22, 21, 20)]
    # Errors the usual list shows already, or read below the cut, are not repeated.
    few = [error(0, 0.99), error(1, CONFIDENT_ERROR - 0.01)]
    assert "confident errors" not in summary(base | {"errors": few}, "m", "d")


def test_evaluation_reports_doubtful_labels_beside_the_accuracy():
    from lpr.evaluation import DOUBTFUL_LABELS, evaluate_model, read_doubtful_labels, summary

    r = Recognizer.load("cn")
    label = _sample_labels()
    doubtful = {
        ("samples", "ccpd_0004.jpg", label["ccpd_0004.jpg"]): "another plate",
        ("samples", "ccpd_0006.jpg", "皖A00000"): "not this sample's label: never matched",
    }
    plain = evaluate_model(r, SAMPLES, doubtful={})
    result = evaluate_model(r, SAMPLES, doubtful=doubtful)
    assert result["sequence_accuracy"] == plain["sequence_accuracy"]  # the headline counts every plate
    assert [d["path"].endswith("ccpd_0004.jpg") for d in result["doubtful_labels"]] == [True]
    others = [p for p in label if p != "ccpd_0004.jpg"]
    wrong = {e["path"].rsplit("/", 1)[-1] for e in result["errors"]}
    assert result["sequence_accuracy_trusted"] == pytest.approx(sum(p not in wrong for p in others) / len(others))
    assert "doubtful labels      1 plate" in summary(result, "cn", "samples")
    assert not plain["doubtful_labels"] and "doubtful" not in summary(plain, "cn", "samples")
    shipped = read_doubtful_labels(DOUBTFUL_LABELS)
    assert shipped and all(all(key) and shows for key, shows in shipped.items())
