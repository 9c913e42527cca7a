#!/usr/bin/env bash
# Interleaved pairs of `h5train bench` with --kernels onednn and --kernels openblas (same data,
# model, batch, workers, steps), so drift in machine load hits both alike; prints each pair's
# samples/s per worker count and the ratio onednn/openblas, then the medians.
#
# Usage: tools/compare-kernels.sh [--pairs N] [--bin PATH] -- BENCH-ARGS...
# Example (the MNIST reference workload):
#   tools/compare-kernels.sh --pairs 5 -- --data mnist.h5 --hidden 512,256 --batch-size 128 --workers 1,2
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.build/release/h5train"
PAIRS=5
die() { echo "compare-kernels: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --pairs) [ $# -ge 2 ] || die "--pairs needs a value"; PAIRS="$2"; shift 2 ;;
        --bin)   [ $# -ge 2 ] || die "--bin needs a value"; BIN="$2"; shift 2 ;;
        --)      shift; break ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *)       die "unknown option '$1' (bench arguments go after --)" ;;
    esac
done
[[ "$PAIRS" =~ ^[1-9][0-9]*$ ]] || die "--pairs must be a positive integer, got '$PAIRS'"
[ -x "$BIN" ] || die "h5train binary not found: $BIN (build it with tools/build-release)"

# rows of the bench table: "workers samples/s" for every worker count
rates() { awk '/^workers/ { table = 1; next } table && /^ +[0-9]+ / { print $1, $2 }' "$1"; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
for ((p = 1; p <= PAIRS; p++)); do
    for k in onednn openblas; do
        "$BIN" bench --kernels "$k" "$@" > "$work/$k-$p.txt" 2>&1 || { cat "$work/$k-$p.txt" >&2; die "bench --kernels $k failed"; }
        [ "$p" -gt 1 ] || grep -m1 '^model' "$work/$k-$p.txt"
    done
    paste -d' ' <(rates "$work/onednn-$p.txt") <(rates "$work/openblas-$p.txt") | while read -r w a _ b; do
        printf 'pair %d/%d  workers %s  onednn %8s  openblas %8s  ratio %.3f\n' "$p" "$PAIRS" "$w" "$a" "$b" \
            "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
        echo "$w $a $b" >> "$work/all"
    done
done
for w in $(cut -d' ' -f1 "$work/all" | sort -un); do
    a="$(awk -v w="$w" '$1 == w { print $2 }' "$work/all" | median)"
    b="$(awk -v w="$w" '$1 == w { print $3 }' "$work/all" | median)"
    r="$(awk -v w="$w" '$1 == w { print $2 / $3 }' "$work/all" | median)"
    printf 'median    workers %s  onednn %8s  openblas %8s  ratio %s\n' "$w" "$a" "$b" "$r"
done
