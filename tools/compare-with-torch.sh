#!/usr/bin/env bash
# Compare h5train's training throughput with the PyTorch reference
# (tools/torch_reference.py) on MNIST, same network (784-512-256-10) and settings.
# Runs are interleaved in pairs (h5train, then torch) so that drift in machine
# load hits both sides alike; prints samples/s per pair, then the medians.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.build/release/h5train"
DATA="$(cd "$ROOT/.." && pwd)/shared/datasets/mnist.h5"
PAIRS=5
BATCH=128
EPOCHS=1
THREADS=2
HIDDEN=512,256
LR=0.05
SCHEDULE=constant
TARGET=""
PYTHON="${PYTHON:-python3}"
ONLY=""
KEEP=""
CEILING=""
KERNELS=""

usage() {
    cat <<EOF
Usage: tools/compare-with-torch.sh [options]

Trains the MLP (hidden 512,256 unless --hidden; SGD momentum 0.9) with h5train and
with tools/torch_reference.py, alternating, N pairs; prints each pair's
samples/s (mean over epochs, training loop only) and the ratio h5train/torch
(> 1: h5train is faster), then the median of each column.

With --target-accuracy A it compares time to accuracy instead: each run's
training seconds up to the end of its first epoch whose test accuracy is
at least A %, and the ratio h5train/torch of those times (< 1: h5train gets
there sooner).

Examples:
  tools/compare-with-torch.sh --pairs 5 --threads 2 --batch-size 128
  tools/compare-with-torch.sh --pairs 5 --schedule onecycle --lr 0.1 \\
      --epochs 3 --target-accuracy 98

Options:
  --bin PATH        h5train binary (default: .build/release/h5train;
                    build it with: tools/build-release)
  --data FILE       MNIST HDF5 file with x_train/y_train/x_test/y_test
                    (default: ../shared/datasets/mnist.h5 beside the repository)
  --pairs N         number of (h5train, torch) pairs (default $PAIRS)
  --batch-size B    mini-batch size for both (default $BATCH)
  --epochs E        epochs per run (default $EPOCHS)
  --threads W       h5train --workers and torch --threads (default $THREADS)
  --hidden H        hidden widths for both, e.g. 2048,2048 (default $HIDDEN)
  --lr RATE         learning rate; the peak for onecycle (default $LR)
  --schedule NAME   constant or onecycle (torch's OneCycleLR over all the
                    steps, pct_start 0.3, cosine, fixed momentum) (default
                    $SCHEDULE)
  --target-accuracy A
                    compare the time to A % test accuracy, not samples/s
  --only WHICH      run only one side: h5train or torch (no ratios)
  --ceiling         also run tools/gemm-ceiling in every pair (needs a C
                    compiler and libopenblas-dev or libdnnl-dev): the samples/s of
                    the step's products alone, all workers at once, and the
                    ratios h5train/ceiling and ceiling/torch (the most any
                    step built on those products could reach against torch)
  --kernels K       h5train's (and gemm-ceiling's) --kernels: onednn or
                    openblas (default: h5train's default, named in its log)
  --keep DIR        keep every run's log and metrics CSV in DIR
  -h, --help        show this help

Environment: PYTHON (default python3) must have torch, h5py and numpy.
Default paths are relative to the repository root; paths you give are
relative to the current directory.
EOF
}

die() { echo "compare-with-torch: $*" >&2; exit 2; }
need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)"; }
is_uint() { [[ "$1" =~ ^[1-9][0-9]*$ ]] || die "$2 must be a positive integer, got '$1'"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --bin)        need_arg "$@"; BIN="$2"; shift 2 ;;
        --data)       need_arg "$@"; DATA="$2"; shift 2 ;;
        --pairs)      need_arg "$@"; PAIRS="$2"; shift 2 ;;
        --batch-size) need_arg "$@"; BATCH="$2"; shift 2 ;;
        --epochs)     need_arg "$@"; EPOCHS="$2"; shift 2 ;;
        --threads)    need_arg "$@"; THREADS="$2"; shift 2 ;;
        --hidden)     need_arg "$@"; HIDDEN="$2"; shift 2 ;;
        --lr)         need_arg "$@"; LR="$2"; shift 2 ;;
        --schedule)   need_arg "$@"; SCHEDULE="$2"; shift 2 ;;
        --target-accuracy) need_arg "$@"; TARGET="$2"; shift 2 ;;
        --only)       need_arg "$@"; ONLY="$2"; shift 2 ;;
        --keep)       need_arg "$@"; KEEP="$2"; shift 2 ;;
        --ceiling)    CEILING=1; shift ;;
        --kernels)    need_arg "$@"; KERNELS="$2"; shift 2 ;;
        -h|--help)    usage; exit 0 ;;
        *)            echo "compare-with-torch: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

is_uint "$PAIRS" --pairs; is_uint "$BATCH" --batch-size
is_uint "$EPOCHS" --epochs; is_uint "$THREADS" --threads
[[ "$HIDDEN" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--hidden must be widths like 512,256, got '$HIDDEN'"
case "$ONLY" in ""|h5train|torch) ;; *) die "--only must be h5train or torch" ;; esac
case "$KERNELS" in ""|onednn|openblas) ;; *) die "--kernels must be onednn or openblas, got '$KERNELS'" ;; esac
KERNEL_ARGS=(); [ -z "$KERNELS" ] || KERNEL_ARGS=(--kernels "$KERNELS")
case "$SCHEDULE" in constant|onecycle) ;; *) die "--schedule must be constant or onecycle, got '$SCHEDULE'" ;; esac
[[ "$LR" =~ ^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]] || die "--lr must be a positive number, got '$LR'"
[ -z "$CEILING" ] || [ -z "$TARGET" ] || die "--ceiling compares samples/s; it cannot be used with --target-accuracy"
[ -z "$TARGET" ] || [[ "$TARGET" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--target-accuracy must be a percentage like 98, got '$TARGET'"
H5_SCHEDULE=(); TORCH_SCHEDULE=()
if [ "$SCHEDULE" = onecycle ]; then
    H5_SCHEDULE=(--schedule onecycle --no-cycle-momentum)
    TORCH_SCHEDULE=(--schedule onecycle)
fi
run_h5=1; run_torch=1
[ "$ONLY" = torch ] && run_h5=0
[ "$ONLY" = h5train ] && run_torch=0

[ -f "$DATA" ] || die "data file not found: $DATA (give --data FILE)"
if [ $run_h5 = 1 ]; then
    [ -x "$BIN" ] || die "h5train binary not found or not executable: $BIN
  build it with tools/build-release or give --bin PATH (or use --only torch)"
fi
REF="$ROOT/tools/torch_reference.py"
if [ $run_torch = 1 ]; then
    "$PYTHON" -c 'import torch, h5py, numpy' 2>/dev/null \
        || die "$PYTHON cannot import torch, h5py and numpy (pip install torch h5py numpy), or use --only h5train"
fi

if [ -n "$KEEP" ]; then
    mkdir -p "$KEEP"; WORK="$(cd "$KEEP" && pwd)"
else
    WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
fi

# mean of the samples_per_s column of a metrics CSV (located by header name)
mean_sps() {
    awk -F, '{ sub(/\r$/, "") } NR == 1 { for (i = 1; i <= NF; i++) if ($i == "samples_per_s") c = i; next }
             c && $c != "" { s += $c; n++ }
             END { if (!c || !n) exit 1; printf "%.1f\n", s / n }' "$1"
}

# seconds_to_target CSV: training seconds up to the first epoch whose val_accuracy (a fraction)
# reaches $TARGET %, or "-" if none does
seconds_to_target() {
    awk -F, -v target="$TARGET" '{ sub(/\r$/, "") } NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "val_accuracy") a = i; if ($i == "seconds") s = i }; next }
             { t += $s; if (!done && $a != "" && $a * 100 >= target) { printf "%.3f\n", t; done = 1 } }
             END { if (!a || !s) exit 1; if (!done) print "-" }' "$1"
}

# measure CSV: what a run is compared by
UNIT="samples/s"
[ -n "$TARGET" ] && UNIT="s to ${TARGET}%"
measure() { if [ -n "$TARGET" ]; then seconds_to_target "$1"; else mean_sps "$1"; fi; }

# median FORMAT: median of the numbers on stdin (one per line), or "-" if none
median() {
    sort -g | awk -v f="$1" '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
        printf f "\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run LABEL LOG CMD...: run quietly, show the log's tail if it fails
run() {
    local label="$1" log="$2"; shift 2
    if ! "$@" >"$log" 2>&1; then
        echo "compare-with-torch: $label failed; last lines of its output:" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
}

echo "MLP hidden $HIDDEN: batch $BATCH, epochs $EPOCHS, threads $THREADS, lr $LR, $SCHEDULE, $PAIRS pair(s)"
echo "data $DATA"
[ $run_h5 = 1 ] && echo "h5train $BIN"
[ $run_torch = 1 ] && echo "torch $("$PYTHON" -c 'import torch; print(torch.__version__)')"

H5_ALL=(); TORCH_ALL=(); RATIO_ALL=(); CEIL_ALL=(); OF_CEIL_ALL=(); CEIL_RATIO_ALL=()
# divide A B: A / B to 3 decimals, or "-" when either is missing
divide() { if [ "$1" = - ] || [ "$2" = - ]; then echo -; else awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a / b }'; fi; }
for ((p = 1; p <= PAIRS; p++)); do
    h5="-"; tr="-"; ratio="-"
    if [ $run_h5 = 1 ]; then
        m="$WORK/h5train-$p.csv"
        run "h5train (pair $p)" "$WORK/h5train-$p.log" \
            "$BIN" train --data "$DATA" --x x_train --y y_train --val-x x_test --val-y y_test \
            --hidden "$HIDDEN" --batch-size "$BATCH" --epochs "$EPOCHS" --workers "$THREADS" \
            --lr "$LR" --momentum 0.9 "${H5_SCHEDULE[@]+"${H5_SCHEDULE[@]}"}" "${KERNEL_ARGS[@]+"${KERNEL_ARGS[@]}"}" --quiet --metrics "$m"
        h5="$(measure "$m")" || die "no samples_per_s/seconds/val_accuracy columns or rows in $m"
        H5_ALL+=("$h5")
    fi
    if [ $run_torch = 1 ]; then
        m="$WORK/torch-$p.csv"
        run "torch_reference.py (pair $p)" "$WORK/torch-$p.log" \
            "$PYTHON" "$REF" --data "$DATA" --x x_train --y y_train --val-x x_test --val-y y_test \
            --hidden "$HIDDEN" --batch-size "$BATCH" --epochs "$EPOCHS" --threads "$THREADS" \
            --lr "$LR" --momentum 0.9 "${TORCH_SCHEDULE[@]+"${TORCH_SCHEDULE[@]}"}" --quiet --metrics "$m"
        tr="$(measure "$m")" || die "no samples_per_s/seconds/val_accuracy columns or rows in $m"
        TORCH_ALL+=("$tr")
    fi
    ratio="$(divide "$h5" "$tr")"
    [ "$ratio" = - ] || RATIO_ALL+=("$ratio")
    printf 'pair %d/%d  h5train %10s %s  torch %10s %s  ratio %s\n' \
        "$p" "$PAIRS" "$h5" "$UNIT" "$tr" "$UNIT" "$ratio"
    if [ -n "$CEILING" ]; then
        run "gemm-ceiling (pair $p)" "$WORK/ceiling-$p.log" \
            "$ROOT/tools/gemm-ceiling" --hidden "$HIDDEN" --batch-size "$BATCH" --workers "$THREADS" "${KERNEL_ARGS[@]+"${KERNEL_ARGS[@]}"}"
        ceil="$(sed -n 's/^products-only ceiling, all workers at once: \([0-9][0-9]*\) samples\/s.*/\1/p' "$WORK/ceiling-$p.log")"
        [ -n "$ceil" ] || die "gemm-ceiling printed no all-workers ceiling (see $WORK/ceiling-$p.log)"
        of_ceil="$(divide "$h5" "$ceil")"; ceil_ratio="$(divide "$ceil" "$tr")"
        CEIL_ALL+=("$ceil"); OF_CEIL_ALL+=("$of_ceil"); CEIL_RATIO_ALL+=("$ceil_ratio")
        printf '          products-only ceiling %10s %s  h5train/ceiling %s  ceiling/torch %s\n' \
            "$ceil" "$UNIT" "$of_ceil" "$ceil_ratio"
    fi
done

numbers() { grep -E '^[0-9.]+$' || true; }
FORMAT=%.1f
[ -n "$TARGET" ] && FORMAT=%.3f
med_h5="$(printf '%s\n' "${H5_ALL[@]+"${H5_ALL[@]}"}" | numbers | median "$FORMAT")"
med_tr="$(printf '%s\n' "${TORCH_ALL[@]+"${TORCH_ALL[@]}"}" | numbers | median "$FORMAT")"
med_ratio="$(printf '%s\n' "${RATIO_ALL[@]+"${RATIO_ALL[@]}"}" | numbers | median %.3f)"
printf 'median     h5train %10s %s  torch %10s %s  ratio %s (median of pair ratios)\n' \
    "${med_h5:--}" "$UNIT" "${med_tr:--}" "$UNIT" "${med_ratio:--}"
if [ -n "$CEILING" ]; then
    printf 'median     products-only ceiling %10s %s  h5train/ceiling %s  ceiling/torch %s\n' \
        "$(printf '%s\n' "${CEIL_ALL[@]+"${CEIL_ALL[@]}"}" | numbers | median %.1f)" "$UNIT" \
        "$(printf '%s\n' "${OF_CEIL_ALL[@]+"${OF_CEIL_ALL[@]}"}" | numbers | median %.3f)" \
        "$(printf '%s\n' "${CEIL_RATIO_ALL[@]+"${CEIL_RATIO_ALL[@]}"}" | numbers | median %.3f)"
fi
[ -n "$TARGET" ] && echo "(\"-\": the run never reached ${TARGET}%; ratio < 1: h5train reached it sooner)"
[ -n "$KEEP" ] && echo "logs and metrics CSVs kept in $WORK"
exit 0
