#!/usr/bin/env bash
# Reproduce a shipped model from a clone, one command:
#   bash tools/reproduce.sh cn       # ≈ 1.5-2 h on 2 cores -> runs/cn_avg
#   bash tools/reproduce.sh latin    # ≈ 2 h 40 min on 2 cores with native bf16 -> runs/latin_neg
# Run it again after an interruption: finished renders are kept (labels.csv is written last)
# and training continues from its last checkpoint (`lpr train --resume`).
# DRY_RUN=1 prints the steps without running them. Each step's time is printed as it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
LPR=${LPR:-.venv/bin/lpr}
[[ -x $LPR || -n ${DRY_RUN:-} ]] || { echo "no $LPR: run 'make install' first (or set LPR)" >&2; exit 1; }

run() {
    echo "+ lpr $*"
    [[ -n ${DRY_RUN:-} ]] && return
    local start=$SECONDS
    "$LPR" "$@"
    echo "  took $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s"
}

synth() {  # the last two arguments are --out DIR
    local out=${*: -1}
    if [[ -z ${DRY_RUN:-} && -f $out/labels.csv ]]; then
        echo "= $out already rendered"
    else
        run synth "$@"
    fi
}

train() {  # CONFIG OUT; --resume only where a run left its state (else lpr warns there is none)
    local resume=()
    [[ -f $2/train_state.pt ]] && resume=(--resume)
    run train --config "$1" --out "$2" "${resume[@]}"
}

case ${1:-} in
cn)  # configs/cn.yaml, configs/cn_ft.yaml; weights/cn/README.md has what it read
    synth --alphabet cn --n 150000 --seed 1 --out cache/synth_cn
    train configs/cn.yaml runs/cn
    synth --alphabet cn --style cn_blue_letters --n 150000 --seed 5 --out cache/synth_cn_letters
    train configs/cn_ft.yaml runs/cn_ft
    run average runs/cn runs/cn_ft --out runs/cn_avg
    ;;
latin)  # configs/latin.yaml, latin_ft.yaml, latin_neg.yaml; weights/latin/README.md
    synth --alphabet latin --n 150000 --size 128x32 --seed 1 --out cache/synth_latin
    train configs/latin.yaml runs/latin
    synth --alphabet latin --n 150000 --size 128x32 --seed 3 --out cache/synth_latin2
    train configs/latin_ft.yaml runs/latin_ft
    synth --alphabet latin --n 100000 --size 128x32 --seed 5 --out cache/synth_latin3
    train configs/latin_neg.yaml runs/latin_neg
    ;;
*)
    echo "usage: bash tools/reproduce.sh cn|latin" >&2
    exit 2
    ;;
esac
echo "done in $((SECONDS / 60)) min"
