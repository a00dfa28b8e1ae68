import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lpr.data import Sample
from lpr.training import (
    TrainConfig,
    ctc_loss,
    epoch_indices,
    first_char_balance,
    load_sources,
    lr_at,
    split_weight,
    validation_overlap,
    warn_about_overlap,
)


def test_split_weight():
    assert split_weight("a/labels.csv@12") == ("a/labels.csv", 12)
    assert split_weight("a/labels.csv") == ("a/labels.csv", 1)
    assert split_weight("odd@name.csv") == ("odd@name.csv", 1)


def test_epoch_indices_are_deterministic_and_weighted():
    a = epoch_indices([100, 10], [1, 5], 0, seed=3, epoch=2)
    b = epoch_indices([100, 10], [1, 5], 0, seed=3, epoch=2)
    c = epoch_indices([100, 10], [1, 5], 0, seed=3, epoch=3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert len(a) == 150 and (a[:, 0] == 1).sum() == 50  # the small source counted 5 times


def _source(*samples: Sample) -> SimpleNamespace:
    return SimpleNamespace(samples=list(samples))


def test_labels_outside_the_alphabet_are_skipped_and_the_missing_symbols_named(tiny_dataset, tmp_path, caplog):
    from lpr.alphabet import Alphabet

    from .conftest import write_csv

    good = tiny_dataset.parent / "ccpd_0004.jpg"
    csv = write_csv(tmp_path / "labels.csv", [(str(good), "沪C21F13"), (str(good), "沪C21F1Ä"), (str(good), "ÖC2")])
    with caplog.at_level("WARNING"):
        (dataset,), _ = load_sources([str(csv)], Alphabet.resolve("cn"), (94, 24), None, progress=False)
    assert len(dataset) == 1  # the plate the alphabet can write
    assert "2 labels outside the alphabet" in caplog.text and "has no 'ÄÖ'" in caplog.text


def test_validation_overlap_counts_shared_images_and_plate_numbers(tmp_path, caplog):
    train = [_source(Sample(str(tmp_path / "a.jpg"), "AB123"), Sample(str(tmp_path / "b.jpg"), "CD456"))]
    val = [
        _source(
            Sample(str(tmp_path / "x" / ".." / "a.jpg"), "AB123"),  # the same file, spelled differently
            Sample(str(tmp_path / "c.jpg"), "CD456"),  # another photo of a training plate
            Sample(str(tmp_path / "d.jpg"), "EF789"),
        )
    ]
    assert validation_overlap(train, val) == (3, 1, 1)
    with caplog.at_level("WARNING"):
        warn_about_overlap(train, val)
    assert "1 of 3 plates are training images too and 1 more share a plate number" in caplog.text
    caplog.clear()
    same_image_other_box = [_source(Sample(str(tmp_path / "a.jpg"), "ZZ000", box=(0, 0, 9, 9)))]
    assert validation_overlap(train, same_image_other_box) == (1, 0, 0)  # another plate of one photo
    with caplog.at_level("WARNING"):
        warn_about_overlap(train, [_source(Sample(str(tmp_path / "e.jpg"), "GH000"))])
    assert caplog.text == ""  # disjoint splits: silent
    many = [_source(*[Sample(str(tmp_path / f"v{i}.jpg"), "CD456" if i == 0 else f"V{i}") for i in range(200)])]
    with caplog.at_level("WARNING"):
        warn_about_overlap(train, many)
    assert caplog.text == ""  # one number in 200 shared: a coincidence (random synthetic plates), not a leak


def test_first_char_balance_shares():
    texts = ["皖A1"] * 90 + ["京B2"] * 9 + ["宁C3"]
    assert np.allclose(first_char_balance(texts, 0.0), 1.0)
    full = first_char_balance(texts, 1.0)
    assert full.mean() == pytest.approx(1.0)
    assert full[:90].sum() == pytest.approx(full[90:99].sum()) == pytest.approx(full[99])  # one third each
    half = first_char_balance(texts, 0.5)
    share = [half[:90].sum() / 100, half[90:99].sum() / 100, half[99] / 100]
    assert share == pytest.approx([x / (90**0.5 + 9**0.5 + 1) for x in (90**0.5, 9**0.5, 1)])


def test_balanced_epochs_keep_their_length_and_lift_rare_plates():
    texts = ["皖A1"] * 95 + ["京B2"] * 5
    pw = [None, first_char_balance(texts, 1.0)]
    a = epoch_indices([50, 100], [1, 3], 0, seed=1, epoch=0, plate_weights=pw)
    assert np.array_equal(a, epoch_indices([50, 100], [1, 3], 0, seed=1, epoch=0, plate_weights=pw))
    assert len(a) == 50 + 300  # the unbalanced length, whatever the random rounding drew
    real = a[a[:, 0] == 1, 1]
    assert 100 < (real >= 95).sum() < 200  # 京 drawn about half the time instead of 5%
    assert 45 <= (a[:, 0] == 0).sum() <= 55  # a source without weights: about as before
    # No weights at all draws exactly what the unbalanced sampler always drew.
    assert np.array_equal(
        epoch_indices([50, 100], [1, 3], 0, 1, 0, [None, None]), epoch_indices([50, 100], [1, 3], 0, 1, 0)
    )


def test_epoch_size_truncates_or_cycles():
    assert len(epoch_indices([10], [1], 25, seed=0, epoch=0)) == 25
    assert len(epoch_indices([100], [1], 7, seed=0, epoch=0)) == 7


def test_lr_schedule_warms_up_then_decays():
    cfg = TrainConfig(lr=1e-3, warmup_steps=10)
    assert lr_at(0, 100, cfg) == pytest.approx(1e-4)
    assert lr_at(9, 100, cfg) == pytest.approx(1e-3)
    assert lr_at(99, 100, cfg) < 2e-5
    assert all(lr_at(s, 100, cfg) >= lr_at(s + 1, 100, cfg) for s in range(10, 99))


def test_ctc_loss_is_finite_even_for_impossible_targets():
    logits = torch.randn(2, 5, 4)  # T=4 steps cannot hold 6 labels
    targets = torch.randint(1, 5, (12,))
    loss = ctc_loss(logits, targets, torch.tensor([6, 6]))
    assert torch.isfinite(loss) and math.isclose(loss.item(), 0.0, abs_tol=1e-6)


@pytest.mark.parametrize(
    "path", sorted((__import__("pathlib").Path(__file__).parent.parent / "configs").glob("*.yaml"))
)
def test_shipped_configs_parse(path):
    from lpr.cli import build_parser, train_config

    cfg = train_config(build_parser().parse_args(["train", "--config", str(path)]))
    assert cfg.data and cfg.val and cfg.epochs > 0
    assert not any("val" in d for d in cfg.data)  # never train on a validation split


def test_data_options_take_several_sources_at_once_or_repeated():
    from lpr.cli import build_parser, train_config

    cfg = train_config(build_parser().parse_args(["train", "--data", "a.csv", "b.csv@3", "--data", "c", "--val", "v"]))
    assert cfg.data == ["a.csv", "b.csv@3", "c"] and cfg.val == ["v"]
    args = build_parser().parse_args(["calibrate", "--model", "m", "--data", "x.csv", "y.csv"])
    assert args.data == ["x.csv", "y.csv"]


def test_unknown_config_keys_are_refused(tmp_path):
    from lpr.cli import build_parser, train_config

    bad = tmp_path / "bad.yaml"
    bad.write_text("epochs: 2\nlearning_rate: 0.1\n")
    with pytest.raises(ValueError, match="learning_rate"):
        train_config(build_parser().parse_args(["train", "--config", str(bad)]))


def test_init_copies_a_trained_pair_and_refuses_a_mismatch(tiny_run):
    from lpr.alphabet import Alphabet
    from lpr.checkpoints import CheckpointError, load_models
    from lpr.training import build_models, init_from

    small = {"stem": 16, "block1": 32, "block2": 64, "head": 64}
    cfg = TrainConfig(model=small)
    stn, net = build_models(cfg, Alphabet.resolve("cn"))
    init_from(str(tiny_run), stn, net, Alphabet.resolve("cn"))
    _, trained_net, _, _ = load_models(tiny_run)
    for k, v in trained_net.state_dict().items():
        assert torch.equal(net.state_dict()[k], v)
    latin = Alphabet.resolve("latin")
    stn2, net2 = build_models(cfg, latin)
    with pytest.raises(CheckpointError, match="alphabet"):
        init_from(str(tiny_run), stn2, net2, latin)


def _tiny_pair():
    import torch

    from lpr.models import STN, LPRNet, LPRNetConfig

    torch.manual_seed(0)
    stn, net = STN(), LPRNet(LPRNetConfig(num_classes=5, stem=8, block1=16, block2=32, head=32))
    opt = torch.optim.AdamW([{"params": net.parameters()}, {"params": stn.parameters()}], lr=1e-3)
    return stn, net, opt


def _batch():
    import torch

    x = torch.rand(2, 3, 24, 94) * 2 - 1
    return x, torch.tensor([1, 2, 3, 4]), torch.tensor([2, 2])


def test_a_nan_loss_skips_the_step_and_leaves_the_weights_alone():
    import torch

    from lpr.training import Joint, apply_step, forward_loss

    stn, net, opt = _tiny_pair()
    before = [p.detach().clone() for p in net.parameters()]
    x, targets, lengths = _batch()
    x[0, 0, 0, 0] = float("nan")
    loss, _ = forward_loss(Joint(stn, net), x, targets, lengths)
    assert not torch.isfinite(loss)  # the loop skips backward here (grid_sample would crash on it)
    apply_step(opt, False)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_an_infinite_gradient_skips_the_step_and_leaves_the_weights_alone():
    import torch

    from lpr.training import Joint, apply_step, backward, forward_loss

    stn, net, opt = _tiny_pair()
    before = [p.detach().clone() for p in net.parameters()]
    net.classifier.weight.register_hook(lambda g: g * float("inf"))  # finite loss, poisoned gradient
    loss, _ = forward_loss(Joint(stn, net), *_batch())
    assert torch.isfinite(loss) and not backward(opt, loss)
    apply_step(opt, False)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    assert all(p.grad is None for p in net.parameters())  # nothing left to leak into the next step


def test_training_reports_skipped_steps_and_saves_finite_weights(tmp_path, tiny_dataset, monkeypatch, caplog):
    import torch

    from lpr import training
    from lpr.checkpoints import all_finite, load_models

    real_loss, calls = training.ctc_loss, []

    def sometimes_nan(*args):
        calls.append(1)
        loss = real_loss(*args)
        return loss * float("nan") if len(calls) == 2 else loss

    monkeypatch.setattr(training, "ctc_loss", sometimes_nan)
    cfg = training.TrainConfig(
        data=[str(tiny_dataset)], out=str(tmp_path), epochs=1, batch_size=4, seed=0, threads=2,
        model={"stem": 8, "block1": 16, "block2": 32, "head": 32},
    )  # fmt: skip
    with caplog.at_level("WARNING"):
        history = training.train(cfg, progress=False)["history"]
    assert history[0]["skipped_steps"] == 1 and "non-finite loss or gradient, step skipped" in caplog.text
    stn, net, _, _ = load_models(tmp_path)
    assert all_finite(net.state_dict()) and all_finite(stn.state_dict())
    assert torch.isfinite(torch.tensor(history[0]["train_loss"]))


def test_unknown_model_keys_are_refused():
    from lpr.alphabet import Alphabet
    from lpr.training import build_models

    with pytest.raises(ValueError, match="max_zoom"):
        build_models(TrainConfig(stn_model={"max_zoom": 2}), Alphabet.resolve("cn"))
    with pytest.raises(ValueError, match="input_size"):
        build_models(TrainConfig(model={"input_size": (10, 10)}), Alphabet.resolve("cn"))
    stn, _ = build_models(TrainConfig(stn_model={"max_log_scale": 0.5}), Alphabet.resolve("cn"))
    assert stn.config.max_log_scale == 0.5


def test_weight_average_moves_toward_the_live_weights_and_copies_counters():
    import torch

    from lpr.alphabet import Alphabet
    from lpr.training import TrainConfig, WeightAverage, build_models

    stn, net = build_models(
        TrainConfig(model={"stem": 8, "block1": 16, "block2": 32, "head": 32}), Alphabet.resolve("cn")
    )
    average = WeightAverage(stn, net, decay=0.99)
    before = {k: v.clone() for k, v in average.net.state_dict().items()}
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.num_batches_tracked.fill_(7)
    average.update(stn, net)
    weight = 1 - 2 / 11  # the first update's decay is (1 + 1) / (10 + 1), not 0.99: young averages forget fast
    for name, _ in net.named_parameters():
        assert torch.allclose(average.net.state_dict()[name], before[name] + weight)
    counters = [v for k, v in average.net.state_dict().items() if k.endswith("num_batches_tracked")]
    assert counters and all(int(c) == 7 for c in counters)
    assert not any(p.requires_grad and p.grad is not None for p in average.net.parameters())
    with pytest.raises(ValueError, match="decay between 0 and 1"):
        WeightAverage(stn, net, decay=1.0)


def test_training_with_an_average_saves_it_and_logs_both(tmp_path, tiny_dataset):
    import torch

    from lpr.checkpoints import load_models
    from lpr.training import STATE_FILE, TrainConfig, train

    cfg = TrainConfig(
        data=[f"{tiny_dataset}@4"], val=[str(tiny_dataset)], out=str(tmp_path), epochs=1, batch_size=8, seed=0,
        threads=2, ema=0.9, model={"stem": 8, "block1": 16, "block2": 32, "head": 32},
    )  # fmt: skip
    record = train(cfg, progress=False)["history"][-1]
    assert set(record["raw_weights"]["val"]) == set(record["val"])
    state = torch.load(tmp_path / STATE_FILE, weights_only=True)
    _, net, _, _ = load_models(tmp_path)
    saved = net.state_dict()
    assert all(torch.equal(saved[k], v) for k, v in state["ema"]["lprnet"].items())
    assert not all(torch.equal(saved[k], v) for k, v in state["lprnet"].items())


def test_precision_setting_maps_to_an_autocast_dtype(monkeypatch, caplog):
    from lpr import training
    from lpr.training import amp_dtype

    cpu = torch.device("cpu")
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: True)
    assert amp_dtype("auto", cpu) is None and amp_dtype("fp32", cpu) is None  # CPU default stays exact
    assert amp_dtype("BF16", cpu) is torch.bfloat16
    # Emulated bf16 is ~3x slower than fp32: a recipe asking for it trains in fp32, and says so.
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: False)
    assert amp_dtype("bf16", cpu) is None
    assert "no native bf16" in caplog.text
    with pytest.raises(ValueError, match="fp16"):
        amp_dtype("fp16", cpu)  # no loss scaling on CPU: refused, not silently fp32


def test_bf16_runs_lprnet_in_bf16_but_keeps_the_stn_and_loss_in_fp32():
    from lpr.training import Joint, forward_loss

    stn, net, _ = _tiny_pair()
    seen = {}
    # (The hooks return None: a hook returning a value would replace the module's output.)
    stn.params.register_forward_hook(lambda m, i, o: seen.update(stn=o.dtype))  # the warp parameters
    net.classifier.register_forward_hook(lambda m, i, o: seen.update(net=o.dtype))
    loss, _ = forward_loss(Joint(stn, net, torch.bfloat16), *_batch())
    assert seen == {"stn": torch.float32, "net": torch.bfloat16} and loss.dtype == torch.float32
    loss.backward()  # gradients reach the STN's localisation net through the bf16 LPRNet
    grads = [p.grad for p in stn.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


def test_framing_theta_is_the_identity_for_a_plate_filling_the_frame_and_recovers_an_affine():
    from lpr.models import PLATE_FILL, framing_theta

    ax, ay = PLATE_FILL
    box = torch.tensor([[-ax, -ay], [ax, -ay], [ax, ay], [-ax, ay]])
    assert torch.allclose(framing_theta(box[None]), torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]]), atol=1e-5)
    # A plate at the left, half as wide and a third as tall as the crop, rotated a little.
    a = torch.tensor([[0.45, -0.05, -0.4], [0.03, 0.33, 0.1]])
    corners = box @ a[:, :2].T + a[:, 2]
    assert torch.allclose(framing_theta(corners[None])[0], a, atol=1e-5)


def test_raw_params_of_inverts_the_stn_parameterisation_and_clips_to_the_bounds():
    from lpr.models import STN, STNConfig, raw_params_of

    stn = STN(STNConfig(max_log_scale=1.0, max_translation=0.6))
    raw = torch.tensor([[0.3, -0.5, 0.8, 0.2, -1.0, 0.4]])
    theta = stn.warp_matrix(raw)
    assert torch.allclose(raw_params_of(theta, stn.warp_bounds()), raw, atol=1e-4)
    far = theta.clone()
    far[:, 0, 2] = 5.0  # a shift far beyond the bound asks for the bound's limit, not infinity
    assert raw_params_of(far, stn.warp_bounds())[0, 4] == pytest.approx(math.atanh(0.95), abs=1e-4)


def test_the_framing_loss_teaches_the_stn_where_corners_are_known_and_ignores_the_rest():
    from lpr.models import STN, STNConfig
    from lpr.training import Joint, forward_loss, framing_loss

    _, net, _ = _tiny_pair()
    stn = STN(STNConfig(max_log_scale=1.0, max_translation=0.6))  # bounds that can reach the plate
    x, targets, lengths = _batch()
    # One plate in the left half of its crop, one without corners (a real plate).
    corners = torch.tensor([[[-0.9, -0.4], [0.0, -0.4], [0.0, 0.4], [-0.9, 0.4]], [[float("nan")] * 2] * 4])
    _, framing = forward_loss(Joint(stn, net), x, targets, lengths, True, corners, geometry=1.0)
    assert framing > 0.1  # an untrained STN returns the whole crop
    torch.manual_seed(1)  # the same dropout in both passes
    loss, _ = forward_loss(Joint(stn, net), x, targets, lengths, True, corners[1:].expand(2, 4, 2), geometry=1.0)
    torch.manual_seed(1)
    ctc, none = forward_loss(Joint(stn, net), x, targets, lengths, True, None, geometry=1.0)
    assert none is None and torch.allclose(loss, ctc)  # no corners, no framing loss
    torch.manual_seed(1)
    loss, framing = forward_loss(Joint(stn, net), x, targets, lengths, True, corners, geometry=2.0)
    assert torch.allclose(loss, ctc + 2.0 * framing)
    opt = torch.optim.Adam(stn.parameters(), lr=0.03)
    steps = []
    for _ in range(150):
        _, framing = forward_loss(Joint(stn, net), x, targets, lengths, True, corners, geometry=1.0)
        opt.zero_grad(), framing.backward(), opt.step()  # (an untrained LPRNet's CTC gradient is noise)
        steps.append(framing.item())
    assert steps[-1] < 0.3 * steps[0]
    theta = stn.eval().theta(x[:1])[0]
    assert theta[0, 0] < 0.7 and theta[0, 2] < -0.3  # zoomed in, moved left: toward the plate
    assert framing_loss(stn.raw_params(x[:1]), corners[1:], stn.warp_bounds()) == 0  # nothing known, nothing to learn


def test_average_of_models_is_the_mean_of_their_weights_and_refuses_other_architectures(tiny_run, tmp_path):
    from lpr.checkpoints import CheckpointError, load_models, save_models
    from lpr.training import average_models, build_models

    stn, net, alphabet, meta = load_models(tiny_run)
    shifted = tmp_path / "shifted"  # the same model with every learned weight moved by +0.5
    with torch.no_grad():
        for p in [*stn.parameters(), *net.parameters()]:
            p.add_(0.5)
    save_models(shifted, stn, net, alphabet, "shifted", meta)

    metrics = average_models([str(tiny_run), str(shifted)], tmp_path / "avg", progress=False)
    assert metrics["val"]  # validated on the last model's validation sources
    original = load_models(tiny_run)
    averaged = load_models(tmp_path / "avg")
    for before, after in zip(original[:2], averaged[:2]):
        learned = {name for name, _ in before.named_parameters()}
        for name, value in after.state_dict().items():
            shift = 0.25 if name in learned else 0.0  # BatchNorm statistics were not moved
            assert torch.allclose(value.float(), before.state_dict()[name].float() + shift, atol=1e-6), name
    assert averaged[3]["averaged_from"] == [str(tiny_run), str(shifted)]

    wider = tmp_path / "wider"
    stn2, net2 = build_models(TrainConfig(model={"stem": 16, "block1": 32, "block2": 64, "head": 96}), alphabet)
    save_models(wider, stn2, net2, alphabet, "wider", meta)
    with pytest.raises(CheckpointError, match="architecture"):
        average_models([str(tiny_run), str(wider)], tmp_path / "bad", progress=False)


def test_an_invert_setting_that_cannot_work_is_refused_before_training(tmp_path, tiny_dataset):
    from lpr.training import TrainConfig, train

    cfg = TrainConfig(data=[str(tiny_dataset)], out=str(tmp_path / "run"), invert=1.5, threads=2)
    with pytest.raises(ValueError, match="invert: 1.5"):
        train(cfg, progress=False)
    cfg.invert, cfg.augment = 0.3, 0.0
    with pytest.raises(ValueError, match="needs augmentation on"):
        train(cfg, progress=False)
    cfg.invert, cfg.augment, cfg.balance = 0.0, 1.0, -0.5  # a negative strength would favour common plates
    with pytest.raises(ValueError, match="balance: -0.5"):
        train(cfg, progress=False)
    assert not (tmp_path / "run" / "lprnet.pt").exists()


def test_a_fine_tune_records_the_run_it_started_from_even_after_resume(tiny_run, tiny_dataset, tmp_path):
    from lpr.checkpoints import load_models, read_checkpoint
    from lpr.training import STATE_FILE, train

    source_id = load_models(tiny_run)[3]["run_id"]
    small = {"stem": 16, "block1": 32, "block2": 64, "head": 64}
    cfg = TrainConfig(
        data=[str(tiny_dataset)], out=str(tmp_path / "ft"), epochs=1, batch_size=8, model=small, init=str(tiny_run)
    )
    train(cfg, progress=False)
    meta = load_models(tmp_path / "ft")[3]
    assert meta["init_run_id"] == source_id and meta["run_id"] != source_id
    # A resumed run does not load ``init`` again, yet keeps the record.
    train(dataclasses.replace(cfg, epochs=2), progress=False, resume=True)
    assert load_models(tmp_path / "ft")[3]["init_run_id"] == source_id
    assert read_checkpoint(tmp_path / "ft" / STATE_FILE, "lpr.train_state")["init_run_id"] == source_id
    # A run from scratch has nothing to record.
    assert load_models(tiny_run)[3]["init_run_id"] is None
