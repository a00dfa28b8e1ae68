import math

import pytest
import torch

from lpr.models import (
    IDENTITY_WARP,
    STN,
    ChannelMax,
    Dropout,
    FixedAdaptiveAvgPool,
    LPRNet,
    LPRNetConfig,
    Reader,
    STNConfig,
    compose_warps,
)


def test_untrained_stn_is_identity():
    torch.manual_seed(0)
    stn = STN().eval()
    x = torch.rand(4, 3, 24, 94) * 2 - 1
    assert torch.allclose(stn(x), x, atol=1e-5)


def test_stn_transform_stays_in_bounds():
    cfg = STNConfig(max_rotation_deg=10, max_log_scale=0.2, max_shear=0.2, max_translation=0.1)
    stn = STN(cfg).eval()
    with torch.no_grad():  # saturate every parameter
        stn.params.bias.copy_(torch.tensor([50.0, 50.0, -50.0, 50.0, 50.0, -50.0]))
    theta = stn.theta(torch.rand(2, 3, 24, 94))
    assert torch.all(theta[:, :, 2].abs() <= 0.1 + 1e-6)  # translation
    linear = theta[:, :, :2]
    det = torch.linalg.det(linear)
    # Scale bounded: the area change stays within exp(+-2 * max_log_scale).
    assert torch.all(det <= torch.exp(torch.tensor(0.4)) + 1e-5)
    assert torch.all(det >= torch.exp(torch.tensor(-0.4)) - 1e-5)


@pytest.mark.parametrize("size", [(94, 24), (128, 32), (160, 40)])
@pytest.mark.parametrize("classes", [11, 66])
def test_lprnet_shapes_follow_config(size, classes):
    net = LPRNet(LPRNetConfig(num_classes=classes, input_size=size, stem=16, block1=32, block2=64, head=64)).eval()
    out = net(torch.randn(2, 3, size[1], size[0]))
    assert out.shape == (2, classes, net.time_steps)
    assert net.time_steps >= 16  # enough steps for 8 characters with CTC blanks between repeats


def test_readings_do_not_depend_on_batch_mates():
    torch.manual_seed(0)
    stn, net = STN().eval(), LPRNet(LPRNetConfig(num_classes=66)).eval()
    x = torch.randn(6, 3, 24, 94)
    with torch.no_grad():
        batched = net(stn(x))
        single = torch.cat([net(stn(x[i : i + 1])) for i in range(6)])
        # a very different batch-mate must not change sample 0's output
        mixed = net(stn(torch.cat([x[:1], 50 * torch.randn(3, 3, 24, 94)])))[:1]
    assert torch.allclose(batched, single, atol=1e-4)
    assert torch.allclose(mixed, batched[:1], atol=1e-4)


def test_gradients_reach_the_stn_and_stay_finite():
    stn, net = STN(), LPRNet(LPRNetConfig(num_classes=11, stem=16, block1=32, block2=64, head=64))
    x = torch.randn(4, 3, 24, 94)
    log_probs = net(stn(x)).log_softmax(1).permute(2, 0, 1)
    targets = torch.randint(1, 11, (4, 5))
    loss = torch.nn.functional.ctc_loss(
        log_probs, targets, torch.full((4,), log_probs.shape[0]), torch.full((4,), 5), zero_infinity=True
    )
    loss.backward()
    assert torch.isfinite(loss)
    assert stn.params.weight.grad is not None and stn.params.weight.grad.abs().sum() > 0
    assert all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)


def test_channel_max_matches_maxpool3d():
    x = torch.randn(2, 8, 5, 7)
    expected = torch.nn.MaxPool3d((2, 1, 1), stride=(2, 1, 1))(x.unsqueeze(1)).squeeze(1)
    assert torch.equal(ChannelMax(2)(x), expected)


def test_too_small_input_is_rejected():
    with pytest.raises(ValueError, match="too small"):
        LPRNet(LPRNetConfig(num_classes=5, input_size=(20, 10)))


def test_wider_stn_bounds_keep_the_learned_warps():
    torch.manual_seed(0)
    trained = STN(STNConfig(input_size=(128, 32))).eval()
    with torch.no_grad():  # a modest learned warp, as a trained STN makes
        trained.params.weight.normal_(0, 0.02)
        trained.params.bias.normal_(0, 0.2)
    wider = STN(STNConfig(input_size=(128, 32), max_log_scale=0.9, max_translation=0.35)).eval()
    x = torch.randn(4, 3, 32, 128)
    naive = STN(wider.config).eval()
    naive.load_state_dict(trained.state_dict())
    wider.load_warps_of(trained)
    with torch.no_grad():
        before, kept, jumped = trained.theta(x), wider.theta(x), naive.theta(x)
    assert (kept - before).abs().max() < 0.02 < (jumped - before).abs().max()
    assert torch.allclose(wider.warp_bounds()[1], torch.tensor(0.9))


def test_stn_configs_may_differ_in_bounds_only():
    base = STNConfig(input_size=(128, 32))
    assert base.same_but_bounds(STNConfig(input_size=(128, 32), max_log_scale=0.9, max_translation=0.35))
    assert not base.same_but_bounds(STNConfig(input_size=(128, 32), align_corners=True))
    assert not base.same_but_bounds(STNConfig(input_size=(94, 24)))


@pytest.mark.parametrize("channels_last", [False, True])
def test_fast_channel_max_and_context_pool_equal_their_plain_forms(channels_last):
    x = torch.randn(3, 8, 7, 11)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    plain_max = x.reshape(3, 2, 4, 7, 11).amax(dim=2)  # groups of 4 adjacent channels
    assert torch.equal(ChannelMax(4)(x), plain_max)
    pool = FixedAdaptiveAvgPool((7, 11), (4, 5))
    assert torch.allclose(pool(x), torch.nn.functional.adaptive_avg_pool2d(x, (4, 5)), atol=1e-6)


def test_dropout_keeps_the_mean_in_training_and_is_identity_in_eval():
    drop = Dropout(0.25)
    x = torch.ones(200_000)
    y = drop(x)
    assert torch.allclose(y.unique(), torch.tensor([0.0, 1 / 0.75]))
    assert abs((y == 0).float().mean().item() - 0.25) < 0.01 and abs(y.mean().item() - 1.0) < 0.02
    assert drop.eval()(x) is x
    assert torch.equal(Dropout(1.0)(x), torch.zeros_like(x))  # as nn.Dropout, not NaN


def test_composed_warps_sample_what_the_two_warps_sample_in_turn():
    cos, sin = math.cos(0.3), math.sin(0.3)
    outer = torch.tensor([[[cos, -sin, 0.0], [sin, cos, 0.0]]])  # a turn
    inner = torch.tensor([[[0.9, 0.0, 0.3], [0.0, 0.9, 0.1]]])  # a zoom and a shift
    # A smooth image, so two bilinear resamplings and one agree up to interpolation error.
    torch.manual_seed(0)
    x = torch.nn.functional.interpolate(torch.rand(1, 3, 6, 12), size=(24, 94), mode="bilinear", align_corners=False)
    stn = STN(STNConfig(input_size=(94, 24)))
    twice = stn.warp(stn.warp(x, outer), inner)
    inside = (slice(None), slice(None), slice(4, -4), slice(12, -12))  # away from the clamped border

    def gap(warp):
        return (twice - stn.warp(x, warp))[inside].abs().mean()

    assert gap(compose_warps(outer, inner)) < 0.01
    assert gap(compose_warps(inner, outer)) > 5 * gap(compose_warps(outer, inner))  # the order matters
    identity = torch.tensor([IDENTITY_WARP])
    assert torch.allclose(compose_warps(identity, inner), inner) and torch.allclose(
        compose_warps(outer, identity), outer
    )


def test_a_second_look_turns_a_plate_further_than_one_bounded_warp():
    stn = STN(STNConfig(input_size=(94, 24), max_rotation_deg=15.0))
    with torch.no_grad():
        stn.params.bias[0] = 10.0  # saturated: every look turns by the full 15 degrees
    reader = Reader(stn, LPRNet(LPRNetConfig(num_classes=5))).eval()
    x = torch.rand(2, 3, 24, 94) * 2 - 1
    with torch.no_grad():
        probs, first = reader(x, torch.tensor([IDENTITY_WARP]))
        plain = reader.lprnet(stn(x)).softmax(1)
        fast, _ = reader(x)
        _, second = reader(x, first)

    def angle(w):
        return math.degrees(math.atan2(w[0, 1, 0], w[0, 0, 0]))

    assert torch.allclose(probs, plain, atol=1e-5) and torch.allclose(fast, plain, atol=1e-6)  # the plain single pass
    assert angle(first) == pytest.approx(15.0, abs=0.01) and angle(second) == pytest.approx(30.0, abs=0.01)
