#!/usr/bin/env bash
# Interleaved pairs of `h5train bench` with two kernel choices (default: --kernels onednn and
# --kernels openblas; `default` runs without --kernels) on the same data, model, batch, workers
# and steps, so drift in machine load hits both alike; prints each pair's samples/s per worker
# count and the ratio first/second, then the medians.
#
# Usage: tools/compare-kernels.sh [--pairs N] [--kernels A,B] [--bin PATH] -- BENCH-ARGS...
# Example (the MNIST reference workload):
#   tools/compare-kernels.sh --pairs 5 -- --data mnist.h5 --hidden 512,256 --batch-size 128 --workers 1,2
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.build/release/h5train"
PAIRS=5
KERNELS=onednn,openblas
die() { echo "compare-kernels: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --pairs) [ $# -ge 2 ] || die "--pairs needs a value"; PAIRS="$2"; shift 2 ;;
        --bin)   [ $# -ge 2 ] || die "--bin needs a value"; BIN="$2"; shift 2 ;;
        --kernels) [ $# -ge 2 ] || die "--kernels needs a value"; KERNELS="$2"; shift 2 ;;
        --)      shift; break ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *)       die "unknown option '$1' (bench arguments go after --)" ;;
    esac
done
[[ "$PAIRS" =~ ^[1-9][0-9]*$ ]] || die "--pairs must be a positive integer, got '$PAIRS'"
[[ "$KERNELS" =~ ^(onednn|openblas|default),(onednn|openblas|default)$ ]] || die "--kernels must be two of onednn, openblas, default, like onednn,openblas"
FIRST="${KERNELS%,*}"; SECOND="${KERNELS#*,}"
[ -x "$BIN" ] || die "h5train binary not found: $BIN (build it with tools/build-release)"

# rows of the bench table: "workers samples/s" for every worker count
rates() { awk '/^workers/ { table = 1; next } table && /^ +[0-9]+ / { print $1, $2 }' "$1"; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
for ((p = 1; p <= PAIRS; p++)); do
    for k in first second; do
        choice="$FIRST"; [ $k = first ] || choice="$SECOND"
        flags=(); [ "$choice" = default ] || flags=(--kernels "$choice")
        "$BIN" bench "${flags[@]+"${flags[@]}"}" "$@" > "$work/$k-$p.txt" 2>&1 || { cat "$work/$k-$p.txt" >&2; die "bench with $choice kernels failed"; }
        [ "$p" -gt 1 ] || grep -m1 '^model' "$work/$k-$p.txt"
    done
    paste -d' ' <(rates "$work/first-$p.txt") <(rates "$work/second-$p.txt") | while read -r w a _ b; do
        printf 'pair %d/%d  workers %s  %s %8s  %s %8s  ratio %.3f\n' "$p" "$PAIRS" "$w" "$FIRST" "$a" "$SECOND" "$b" \
            "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
        echo "$w $a $b" >> "$work/all"
    done
done
for w in $(cut -d' ' -f1 "$work/all" | sort -un); do
    a="$(awk -v w="$w" '$1 == w { print $2 }' "$work/all" | median)"
    b="$(awk -v w="$w" '$1 == w { print $3 }' "$work/all" | median)"
    r="$(awk -v w="$w" '$1 == w { print $2 / $3 }' "$work/all" | median)"
    printf 'median    workers %s  %s %8s  %s %8s  ratio %s\n' "$w" "$FIRST" "$a" "$SECOND" "$b" "$r"
done
