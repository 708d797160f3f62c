#!/usr/bin/env bash
# Benchmark `protoctl breaking` against `buf breaking` on a synthetic
# contract shaped like googleapis and a copy of it with N breaking and
# non-breaking changes (see bench/README.md for synth and the harness).
#
#   bench/breaking.sh                          # full scale: 1,400 files, 300 changes, 5 runs
#   FILES=200 DIRS=20 MUTATE=50 RUNS=3 bench/breaking.sh   # a quick check
#
# Scenarios, each paired with buf from source (the baseline of the ratios):
#   source  protoctl breaking new --against old        (both sides compiled)
#   image   protoctl breaking new --against old.binpb  (the previous side
#           prebuilt with `buf build -o`, untimed; what CI does when it keeps
#           the image of the last release)
#
# Before timing, the script runs buf and protoctl once on the pair and
# fails unless their outputs are byte-identical and both exit 100.
#
# Environment (all optional):
#   FILES DIRS GIANT_MB SEED   synthetic contract (1400, 130, 1, 1)
#   MUTATE                     changes applied to the copy (300)
#   RUNS                       counted runs per command (5), after 1 warm-up
#   SCENARIOS                  comma list of source,image (both)
#   PROTOCTL                   protoctl binary (default: built from this repo)
#   BUF                        buf binary (default: built from tools/go.mod)
#   BENCH_WORK                 work directory (default: a new mktemp -d)
#   BENCH_CACHE                where buf is kept between runs
#                              (default: ~/.cache/protoctl-bench)
#   BENCH_JSON                 JSON results file (default: $BENCH_WORK/results.json)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
files=${FILES:-1400}
dirs=${DIRS:-130}
giant_mb=${GIANT_MB:-1}
seed=${SEED:-1}
mutate=${MUTATE:-300}
runs=${RUNS:-5}
scenarios=${SCENARIOS:-source,image}
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/protoctl-bench}
work=${BENCH_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/protoctl-breaking.XXXXXX")}
json=${BENCH_JSON:-$work/results.json}

say() { printf 'breaking.sh: %s\n' "$*" >&2; }
# q quotes a string for JSON.
q() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

mkdir -p "$cache" "$work/bin"
work=$(cd "$work" && pwd)

if [[ -z ${BUF:-} ]]; then
  BUF=$cache/buf-$(sed -n 's/^\tgithub.com\/bufbuild\/buf \(v[^ ]*\).*/\1/p' "$repo/tools/go.mod")
  if [[ ! -x $BUF ]]; then
    say "building $BUF from tools/go.mod"
    (cd "$repo/tools" && go build -o "$BUF" github.com/bufbuild/buf/cmd/buf)
  fi
fi
if [[ -z ${PROTOCTL:-} ]]; then
  PROTOCTL=$work/bin/protoctl
  (cd "$repo" && go build -o "$PROTOCTL" ./cmd/protoctl)
fi
(cd "$repo" && go build -o "$work/bin/synth" ./bench/synth && go build -o "$work/bin/harness" ./bench/harness)

# --- the pair -----------------------------------------------------------
rm -rf "$work/old" "$work/new"
say "writing old/: $files files in $dirs directories, giant file $giant_mb MB, seed $seed"
"$work/bin/synth" -out "$work/old" -files "$files" -dirs "$dirs" -giant-mb "$giant_mb" -seed "$seed" >/dev/null
say "writing new/: $mutate changes (list in mutations.txt)"
"$work/bin/synth" -out "$work/new" -mutate "$mutate" -from "$work/old" -seed "$seed" >"$work/mutations.txt"
say "building old.binpb with buf build (untimed)"
(cd "$work/old" && "$BUF" build -o "$work/old.binpb")

# --- parity, untimed ------------------------------------------------------
# buf takes the previous side as a directory (a buf.yaml workspace); both
# tools run from inside new/ so that paths print the same way.
check() { # check NAME COMMAND...: run in new/, want exit 100, keep stdout
  local name=$1 rc=0
  shift
  (cd "$work/new" && "$@" >"$work/$name.out") || rc=$?
  if [[ $rc -ne 100 ]]; then
    say "$name exited $rc, want 100"
    exit 1
  fi
}
check buf "$BUF" breaking . --against ../old
check protoctl "$PROTOCTL" breaking . --against ../old
check protoctl-image "$PROTOCTL" breaking . --against ../old.binpb
for o in protoctl protoctl-image; do
  if ! cmp -s "$work/buf.out" "$work/$o.out"; then
    say "$o output differs from buf's:"
    diff "$work/buf.out" "$work/$o.out" | head -20 >&2
    exit 1
  fi
done
say "outputs identical: $(wc -l <"$work/buf.out") findings"

# --- timing -----------------------------------------------------------------
# The harness stops on a non-zero exit, so each command maps 100 to 0.
run100() { printf '%s >/dev/null; test $? -eq 100' "$1"; }
buf_run=$(run100 "$BUF breaking . --against ../old")
pc_source=$(run100 "$PROTOCTL breaking . --against ../old")
pc_image=$(run100 "$PROTOCTL breaking . --against ../old.binpb")
{
  echo '{'
  echo "  \"dir\": $(q "$work/new"), \"runs\": $runs, \"warmup\": 1, \"timeout\": \"20m\","
  echo '  "scenarios": ['
  sep=""
  IFS=, read -ra want <<<"$scenarios"
  for s in "${want[@]}"; do
    case $s in
      source) second=$pc_source ;;
      image) second=$pc_image ;;
      *) say "unknown scenario $s (want source, image)"; exit 1 ;;
    esac
    printf '%s    {"name": "%s", "commands": [\n      {"name": "buf", "run": %s},\n      {"name": "protoctl", "run": %s}]}' \
      "$sep" "$s" "$(q "$buf_run")" "$(q "$second")"
    sep=$',\n'
  done
  printf '\n  ]\n}\n'
} >"$work/spec.json"

say "work directory $work; spec $work/spec.json; load $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/bin/harness" -spec "$work/spec.json" -json "$json" | tee "$work/results.txt"
say "results: $work/results.txt and $json; load $(cut -d' ' -f1-3 /proc/loadavg)"
