import pytest
import torch

from lpr.alphabet import Alphabet
from lpr.checkpoints import CheckpointError, atomic_save, load_models, read_checkpoint, save_models
from lpr.models import STN, LPRNet, LPRNetConfig

SMALL = {"stem": 16, "block1": 32, "block2": 64, "head": 64}


def make_pair(alphabet="latin"):
    a = Alphabet.resolve(alphabet)
    torch.manual_seed(0)
    stn = STN()
    with torch.no_grad():
        stn.params.bias.uniform_(-0.5, 0.5)  # a non-identity STN, so its weights matter
    return stn, LPRNet(LPRNetConfig(num_classes=a.num_classes, **SMALL)), a


def test_round_trip_gives_identical_outputs(tmp_path):
    stn, net, a = make_pair()
    save_models(tmp_path, stn, net, a, "run1", {"epoch": 3, "metrics": {"acc": 0.5}})
    stn2, net2, a2, meta = load_models(tmp_path)
    x = torch.randn(3, 3, 24, 94)
    with torch.no_grad():
        assert torch.equal(net.eval()(stn.eval()(x)), net2(stn2(x)))
    assert a2 == a and meta["epoch"] == 3 and meta["metrics"] == {"acc": 0.5}
    assert meta["config"]["input_size"] == [94, 24]


def test_pair_from_different_runs_is_refused(tmp_path):
    stn, net, a = make_pair()
    save_models(tmp_path / "a", stn, net, a, "run-a", {})
    save_models(tmp_path / "b", stn, net, a, "run-b", {})
    (tmp_path / "b" / "stn.pt").replace(tmp_path / "a" / "stn.pt")
    with pytest.raises(CheckpointError, match="different training runs"):
        load_models(tmp_path / "a")


def test_newer_format_is_refused(tmp_path):
    stn, net, a = make_pair()
    save_models(tmp_path, stn, net, a, "r", {})
    ckpt = torch.load(tmp_path / "lprnet.pt", weights_only=True)
    ckpt["format_version"] = 99
    torch.save(ckpt, tmp_path / "lprnet.pt")
    with pytest.raises(CheckpointError, match="newer"):
        load_models(tmp_path)


def test_non_finite_weights_are_never_saved(tmp_path):
    stn, net, a = make_pair()
    with torch.no_grad():
        next(net.parameters())[0].fill_(float("nan"))
    with pytest.raises(CheckpointError, match="non-finite"):
        save_models(tmp_path, stn, net, a, "r", {})
    assert not (tmp_path / "lprnet.pt").exists()


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "x.pt"
    atomic_save({"v": 1}, path)

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(CheckpointError, match="cannot save .*previous file is kept"):
        atomic_save({"v": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.pt"]  # no temp file left behind


def test_malicious_pickle_is_not_executed(tmp_path):
    import pickle

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (tmp_path / "stn.pt").write_bytes(pickle.dumps({"kind": "lpr.stn", "x": Evil()}))
    with pytest.raises(CheckpointError):
        read_checkpoint(tmp_path / "stn.pt", "lpr.stn")
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage"])
def test_damaged_checkpoints_give_one_line_errors(tmp_path, damage):
    stn, net, a = make_pair()
    save_models(tmp_path, stn, net, a, "r", {})
    path = tmp_path / "lprnet.pt"
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    else:
        path.write_bytes(b"\x00garbage" * 100)
    from lpr.pipeline import Recognizer

    for load in (load_models, Recognizer.load):  # the checkpoints alone, and what lpr predict does
        with pytest.raises(CheckpointError) as e:
            load(tmp_path)
        assert "\n" not in str(e.value) and "lprnet.pt" in str(e.value)
