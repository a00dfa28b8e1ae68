"""tools/reproduce.sh: its steps agree with the configs they train (checked on its dry run)."""

import os
import shlex
import subprocess

import pytest
import yaml

from lpr.training import split_weight

from .conftest import ROOT


def _steps(recipe: str) -> list[list[str]]:
    env = {**os.environ, "DRY_RUN": "1"}
    out = subprocess.run(
        ["bash", "tools/reproduce.sh", recipe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return [shlex.split(line[2:])[1:] for line in out.splitlines() if line.startswith("+ lpr ")]


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


@pytest.mark.parametrize("recipe", ["cn", "latin"])
def test_each_training_step_finds_the_renders_and_the_stage_it_starts_from(recipe):
    rendered, trained = set(), set()
    steps = _steps(recipe)
    assert steps and any(s[0] == "train" for s in steps)
    for args in steps:
        if args[0] == "synth":
            rendered.add(_option(args, "--out"))
        elif args[0] == "train":
            cfg = yaml.safe_load((ROOT / _option(args, "--config")).read_text(encoding="utf-8"))
            for source in cfg["data"]:
                path = split_weight(source)[0]
                if path.startswith("cache/"):  # rendered by this recipe; real splits ship with the project
                    assert path.rsplit("/", 1)[0] in rendered, f"{path} is not rendered before {args}"
                else:
                    assert (ROOT / path).exists() and "/val" not in path, path
            if cfg.get("init"):
                assert cfg["init"] in trained, f"{cfg['init']} is not trained before {args}"
            trained.add(_option(args, "--out"))
        elif args[0] == "average":
            assert set(args[1 : args.index("--out")]) <= trained


def test_an_unknown_recipe_is_refused_with_its_usage():
    r = subprocess.run(["bash", "tools/reproduce.sh", "klingon"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr
