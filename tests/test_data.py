import cv2
import numpy as np
import pytest
import torch

from lpr.alphabet import Alphabet
from lpr.data import ImageError, check_labels, load_image, parse_ccpd_name, read_source, resize, trim_letterbox

from .conftest import write_csv

CCPD_NAME = "025-95_113-154&383_386&473-386&473_177&454_154&383_363&402-0_0_22_27_27_33_16-37-15.jpg"


def test_ccpd_name_parsing():
    text, box = parse_ccpd_name(CCPD_NAME)
    assert text == "皖AY339S"
    assert box == (154, 383, 386, 473)


def test_ccpd_new_energy_plate_has_eight_characters():
    name = "025-95_113-154&383_386&473-386&473_177&454_154&383_363&402-12_0_3_24_30_27_33_16-37-15.jpg"
    text, _ = parse_ccpd_name(name)
    assert text == "京AD0639S" and len(text) == 8


def test_ccpd_name_rejects_other_names():
    with pytest.raises(ValueError):
        parse_ccpd_name("ABC123_1.jpg")


def test_raw_ccpd_folder_is_cropped_by_box(tmp_path):
    import cv2

    img = np.zeros((600, 600, 3), np.uint8)
    img[383:473, 154:386] = 255  # the plate region is white, the rest black
    cv2.imwrite(str(tmp_path / CCPD_NAME), img)
    (s,) = read_source(tmp_path)
    assert s.text == "皖AY339S"
    crop = load_image(s.path, s.box)
    assert crop.shape == (90, 232, 3) and crop.min() > 240  # JPEG rounding


def test_csv_paths_are_relative_to_the_csv(tiny_dataset, sample_rows):
    samples = read_source(tiny_dataset)
    assert [s.text for s in samples] == [t for _, t in sample_rows]
    assert all(load_image(s.path).ndim == 3 for s in samples)
    assert samples[0].origin.endswith("labels.csv:2")


def test_folder_of_named_images(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "AB123_0001.png"), np.zeros((24, 94, 3), np.uint8))
    (s,) = read_source(tmp_path)
    assert s.text == "AB123"


def test_labels_outside_alphabet_reported_with_file_and_line(tmp_path):
    csv_path = write_csv(tmp_path / "labels.csv", [("a.jpg", "AB12"), ("b.jpg", "AB皖1"), ("c.jpg", "")])
    good, problems = check_labels(read_source(csv_path), Alphabet.resolve("latin"))
    assert [s.text for s in good] == ["AB12"]
    assert any("labels.csv:3" in p and "皖" in p for p in problems)
    assert any("labels.csv:4" in p and "empty" in p for p in problems)


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.write_bytes(b""), p)[1], "empty"),
        (lambda p: (p.write_text("<html>not an image</html>"), p)[1], "not a decodable image"),
        (lambda p: (p.mkdir(), p)[1], "directory"),
    ],
)
def test_unreadable_images_raise_a_clear_error(tmp_path, make, reason):
    path = make(tmp_path / "plate.jpg")
    with pytest.raises(ImageError, match=reason):
        load_image(path)


def test_non_ascii_path(tmp_path):
    import cv2

    ok, buf = cv2.imencode(".png", np.full((24, 94, 3), 7, np.uint8))
    path = tmp_path / "车牌_皖A.png"
    path.write_bytes(buf.tobytes())
    assert load_image(path).mean() == 7


def test_trim_letterbox_cuts_only_letterbox_bands():
    rng = np.random.default_rng(0)
    plate = rng.integers(30, 220, (40, 100, 3), dtype=np.uint8)
    for fill in (255, 0, 114):
        square = np.full((100, 100, 3), fill, np.uint8)
        square[30:70] = plate
        assert trim_letterbox(square).shape == (40, 100, 3)
        assert resize(square, (94, 24)).shape == (24, 94, 3)
    # A plate crop is never square: a flat white top band on one stays.
    wide = np.full((40, 100, 3), 255, np.uint8)
    wide[10:] = plate[10:]
    assert trim_letterbox(wide) is wide
    # A square crop with a coloured (not letterbox-coloured) border stays whole.
    blue = np.zeros((100, 100, 3), np.uint8)
    blue[:] = (200, 60, 20)
    blue[30:70] = plate
    assert trim_letterbox(blue) is blue
    # A blank image is not trimmed to nothing.
    blank = np.full((64, 64, 3), 255, np.uint8)
    assert trim_letterbox(blank) is blank


def test_corners_column_is_read_and_a_bad_one_is_refused_with_its_line(tmp_path):
    from lpr.data import read_csv

    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((24, 94, 3), np.uint8))
    (tmp_path / "labels.csv").write_text(
        "path,text,corners\na.png,AB12,0.1 0.2 0.9 0.2 0.9 0.8 0.1 0.8\na.png,CD34,\n", encoding="utf-8"
    )
    a, b = read_csv(tmp_path / "labels.csv")
    assert a.corners == (0.1, 0.2, 0.9, 0.2, 0.9, 0.8, 0.1, 0.8) and b.corners is None
    (tmp_path / "bad.csv").write_text("path,text,corners\na.png,AB12,0.1 0.2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.csv:2"):
        read_csv(tmp_path / "bad.csv")


def test_plate_corners_move_with_the_augmented_image(tmp_path):
    from lpr.alphabet import Alphabet
    from lpr.data import PlateDataset, Sample, build_augment, collate

    img = np.zeros((32, 128, 3), np.uint8)
    img[8:24, 32:96] = 255  # the "plate": a white box in the middle
    cv2.imwrite(str(tmp_path / "p.png"), img)
    corners = (0.25, 0.25, 0.75, 0.25, 0.75, 0.75, 0.25, 0.75)
    samples = [Sample(str(tmp_path / "p.png"), "AB", corners=corners), Sample(str(tmp_path / "p.png"), "AB")]
    ds = PlateDataset(samples, Alphabet.resolve("latin"), (128, 32), build_augment(1.0))
    moved = 0
    for seed in range(40):
        ds.augment.set_random_seed(seed)
        out, _, c = ds[0]
        grey = out.mean(axis=2)
        centre = c.mean(axis=0)
        inside = c + 0.2 * (centre - c)  # corners pulled a little toward the centre: on the plate
        outside = c - 0.25 * (centre - c)  # pushed away from it: off the plate
        for (xi, yi), (xo, yo) in zip(inside, outside):
            assert grey[int(yi), int(xi)] > 128
            if 0 <= xo < 128 and 0 <= yo < 32:
                assert grey[int(yo), int(xo)] < 128
        moved += not np.allclose(c, np.array(corners).reshape(4, 2) * (128, 32), atol=0.5)
    assert moved > 10  # the geometric augmentation did move plates
    assert np.isnan(ds[1][2]).all()  # a plate without corners stays without
    _, _, _, batch_corners = collate([ds[0], ds[1]])
    assert batch_corners.shape == (2, 4, 2) and batch_corners[0].abs().max() <= 1.5
    assert torch.isnan(batch_corners[1]).all()


def test_invert_trains_on_the_negative_and_is_off_by_default():
    from lpr.data import build_augment

    light_plate = np.full((32, 128, 3), 210, np.uint8)
    light_plate[10:22, 20:108] = 30  # dark ink
    always, never = build_augment(1.0, invert=1.0), build_augment(1.0)
    for seed in range(10):
        always.set_random_seed(seed), never.set_random_seed(seed)
        negative = always(image=light_plate, keypoints=np.zeros((0, 2)))["image"]
        positive = never(image=light_plate, keypoints=np.zeros((0, 2)))["image"]
        # The same augmentation, then the negative: the inversion draws after everything else.
        assert np.array_equal(negative, 255 - positive)
    # Off, the pipeline is exactly the one recipes were trained with (no extra random draws).
    assert [type(t) for t in never.transforms] == [type(t) for t in build_augment(1.0, invert=0.0).transforms]
    assert len(always.transforms) == len(never.transforms) + 1


def test_zoom_sets_how_much_of_the_frame_the_plate_fills(tmp_path):
    from lpr.data import augmented, build_augment

    img = np.full((32, 128, 3), 40, np.uint8)
    corners = np.array([[0, 0], [128, 0], [128, 32], [0, 32]], np.float32)  # a crop tight on the plate
    widths = {}
    for zoom in ((0.6, 0.6), (1.0, 1.0), None):
        augment = build_augment(1.0, zoom=zoom)
        spans = []
        for seed in range(30):
            augment.set_random_seed(seed)
            _, c = augmented(augment, img, corners)
            spans.append(c[:, 0].max() - c[:, 0].min())
        widths[zoom] = np.array(spans)
    # The affine step runs on 70% of the plates (rotation, shear and perspective move corners a
    # few pixels more): where it ran at zoom 0.6, the plate spans about 60% of the frame.
    assert (widths[(0.6, 0.6)] < 0.7 * 128).sum() >= 10
    assert widths[(1.0, 1.0)].min() > 0.8 * 128
    assert widths[None].min() > 0.8 * 128  # the default range stays narrow (0.92-1.05)


def test_train_refuses_a_zoom_range_that_is_not_low_high(tmp_path):
    from lpr.training import TrainConfig, train

    for zoom in ([1.2, 0.8], [0.8], [0, 1]):
        with pytest.raises(ValueError, match="zoom"):
            train(TrainConfig(data=["missing.csv"], zoom=zoom, out=str(tmp_path)))
