#!/usr/bin/env bash
# Benchmark `buf generate` against `protoctl gen` on a synthetic contract
# shaped like googleapis (see bench/README.md).
#
#   bench/gen.sh                       # full scale, every scenario, 5 runs
#   FILES=200 DIRS=20 GIANT_MB=0.5 RUNS=3 bench/gen.sh
#   SCENARIOS=cold,noop RUNS=3 PROTOCTL=/path/to/protoctl bench/gen.sh
#
# Environment (all optional):
#   FILES DIRS GIANT_MB SEED   synthetic contract (1400, 130, 4, 1)
#   RUNS                       counted runs per command (5)
#   SCENARIOS                  comma list of cold,noop,one-change,python (all)
#   PROTOCTL                   protoctl binary (default: protoctl on PATH);
#                              without one a placeholder (buf generate again)
#                              runs in its place; "none" measures buf alone
#   PROTOCTL_GEN               full protoctl command line (default "$PROTOCTL gen")
#   PROTOCTL_PY                protoctl command line that generates Python only
#                              into py/ (default: none; the Python scenario then
#                              compares grpc_tools.protoc with buf only)
#   PROTOCTL_COLD_PREPARE      extra untimed step before each cold protoctl run
#                              (e.g. removing protoctl's cache)
#   BUF                        buf binary (default: built from tools/go.mod)
#   BUF_STRATEGY               plugin strategy in buf.gen.yaml: directory (default) or all
#   LANGS                      what buf.gen.yaml generates: go,python (default) or go or python
#   BENCH_WORK                 work directory (default: a new mktemp -d)
#   BENCH_CACHE                where tools are kept between runs
#                              (default: ~/.cache/protoctl-bench)
#   BENCH_JSON                 JSON results file (default: $BENCH_WORK/results.json)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
files=${FILES:-1400}
dirs=${DIRS:-130}
giant_mb=${GIANT_MB:-4}
seed=${SEED:-1}
runs=${RUNS:-5}
scenarios=${SCENARIOS:-cold,noop,one-change,python}
strategy=${BUF_STRATEGY:-directory}
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/protoctl-bench}
work=${BENCH_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/protoctl-bench.XXXXXX")}
json=${BENCH_JSON:-$work/results.json}

protoc_gen_go_version=v1.36.12
protoc_gen_go_grpc_version=v1.6.2
grpcio_tools_version=1.85.1

say() { printf 'gen.sh: %s\n' "$*" >&2; }

mkdir -p "$cache" "$work/bin"
work=$(cd "$work" && pwd)

# --- tools: the same plugin binaries for every command --------------------
gobin=$cache/gobin-go$protoc_gen_go_version-grpc$protoc_gen_go_grpc_version
if [[ ! -x $gobin/protoc-gen-go || ! -x $gobin/protoc-gen-go-grpc ]]; then
  say "installing protoc-gen-go $protoc_gen_go_version, protoc-gen-go-grpc $protoc_gen_go_grpc_version into $gobin"
  (cd "$work" && GOBIN=$gobin go install "google.golang.org/protobuf/cmd/protoc-gen-go@$protoc_gen_go_version")
  (cd "$work" && GOBIN=$gobin go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$protoc_gen_go_grpc_version")
fi
export PATH="$gobin:$work/bin:$PATH"

venv=$cache/venv-grpcio-tools-$grpcio_tools_version
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import grpc_tools.protoc' 2>/dev/null; then
  say "creating $venv with grpcio-tools==$grpcio_tools_version"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "grpcio-tools==$grpcio_tools_version"
fi
py=$venv/bin/python
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$py" "$repo/bench/grpc_python_plugin.py" >"$work/bin/protoc-gen-grpc_python"
chmod +x "$work/bin/protoc-gen-grpc_python"

if [[ -z ${BUF:-} ]]; then
  BUF=$cache/buf-$(sed -n 's/^\tgithub.com\/bufbuild\/buf \(v[^ ]*\).*/\1/p' "$repo/tools/go.mod")
  if [[ ! -x $BUF ]]; then
    say "building $BUF from tools/go.mod"
    (cd "$repo/tools" && go build -o "$BUF" github.com/bufbuild/buf/cmd/buf)
  fi
fi

(cd "$repo" && go build -o "$work/bin/synth" ./bench/synth && go build -o "$work/bin/harness" ./bench/harness)

# --- the contract -----------------------------------------------------------
ws=$work/ws
if [[ ! -d $ws/proto ]]; then
  say "synthesizing $files files in $dirs directories (giant file ${giant_mb} MB, seed $seed) into $ws"
  "$work/bin/synth" -out "$ws" -files "$files" -dirs "$dirs" -giant-mb "$giant_mb" -seed "$seed"
fi

# With a real protoctl, both tools run the very same pinned binaries:
# protoctl's lock is copied in, and `protoctl toolchain bin` (the pinned
# protoc-gen-go, protoc-gen-go-grpc, grpcio-tools protoc and
# protoc-gen-grpc_python) goes first on PATH for buf.
pinned=0
if [[ ${PROTOCTL:-} != none ]] && command -v "${PROTOCTL:-protoctl}" >/dev/null 2>&1; then
  cp "$repo/protoctl.lock" "$ws/protoctl.lock"
  export PROTOCTL_CACHE_DIR=${PROTOCTL_CACHE_DIR:-$cache/protoctl-cache}
  pinbin=$(cd "$ws" && "$(command -v "${PROTOCTL:-protoctl}")" toolchain bin)
  export PATH="$pinbin:$PATH"
  pinned=1
  say "buf and protoctl both run the pinned generators in $pinbin"
fi

plugin_strategy=""
if [[ $strategy != directory ]]; then
  plugin_strategy="    strategy: $strategy"
fi
write_template() { # write_template FILE GO(0/1) PYTHON(0/1)
  {
    echo "version: v2"
    echo "managed:"
    echo "  enabled: true"
    echo "  override:"
    echo "    - file_option: go_package_prefix"
    echo "      value: example.com/acme/gen/go"
    echo "plugins:"
    if [[ $2 == 1 ]]; then
      printf '  - local: protoc-gen-go\n    out: gen/go\n    opt: paths=source_relative\n'
      [[ -n $plugin_strategy ]] && echo "$plugin_strategy"
      printf '  - local: protoc-gen-go-grpc\n    out: gen/go\n    opt: paths=source_relative\n'
      [[ -n $plugin_strategy ]] && echo "$plugin_strategy"
    fi
    if [[ $3 == 1 ]]; then
      for builtin in python pyi; do
        if [[ $pinned == 1 ]]; then
          printf '  - protoc_builtin: %s\n    out: gen/python\n' "$builtin"
        else
          printf '  - protoc_builtin: %s\n    protoc_path: [%s, -m, grpc_tools.protoc]\n    out: gen/python\n' "$builtin" "$py"
        fi
        [[ -n $plugin_strategy ]] && echo "$plugin_strategy"
      done
      # buf rejects grpc_python as a protoc_builtin; grpcio-tools' generator
      # runs through the shim instead (bench/grpc_python_plugin.py).
      printf '  - local: protoc-gen-grpc_python\n    out: gen/python\n'
      [[ -n $plugin_strategy ]] && echo "$plugin_strategy"
    fi
    true
  } >"$1"
}
langs=${LANGS:-go,python}
want_go=0 want_py=0
[[ ,$langs, == *,go,* ]] && want_go=1
[[ ,$langs, == *,python,* ]] && want_py=1
if [[ $want_go$want_py == 00 ]]; then say "LANGS=$langs names neither go nor python"; exit 1; fi
write_template "$ws/buf.gen.yaml" $want_go $want_py
write_template "$ws/buf.gen.python.yaml" 0 1
sed -i 's|out: gen/python|out: py-buf|' "$ws/buf.gen.python.yaml"
write_template "$ws/protoctl.gen.python.yaml" 0 1
sed -i 's|out: gen/python|out: py|' "$ws/protoctl.gen.python.yaml"
if [[ $pinned == 1 && -z ${PROTOCTL_PY:-} ]]; then
  PROTOCTL_PY="$(command -v "${PROTOCTL:-protoctl}") gen --template protoctl.gen.python.yaml"
fi

# The Python baseline reads a prebuilt descriptor set, as protoc would.
"$BUF" build "$ws" --as-file-descriptor-set -o "$work/image.binpb"
(cd "$ws/proto" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort) >"$work/files.txt"

# --- the second command -----------------------------------------------------
protoctl=${PROTOCTL:-protoctl}
if [[ $protoctl == none ]]; then
  second_name="" second_run=""
elif [[ -n ${PROTOCTL_GEN:-} ]]; then
  second_name=protoctl second_run=$PROTOCTL_GEN
elif command -v "$protoctl" >/dev/null 2>&1; then
  second_name=protoctl second_run="$(command -v "$protoctl") gen"
else
  say "no protoctl binary ($protoctl); using the placeholder 'placeholder' (buf generate again) as the second command"
  second_name=placeholder second_run="$BUF generate"
fi

# --- the spec ---------------------------------------------------------------
q() { "$py" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
buf_run="$BUF generate"
change="$work/bin/synth -change-one -out $ws >/dev/null"
if [[ $pinned == 1 ]]; then py=$(sed -n "s/^exec '\([^']*\)'.*/\1/p" "$pinbin/protoc"); fi
# The baseline is what a user would run by hand: grpcio-tools' protoc over
# the sources, every Python output in one invocation.
py_direct="$py -m grpc_tools.protoc -Iproto --python_out=py --pyi_out=py --grpc_python_out=py \$(cat $work/files.txt)"
# Prepare steps move what they clear into a trash directory instead of
# deleting it, for every command alike: deleting thousands of files just
# before a timed run makes ext4 skip the freed inodes when the run creates
# files (recently_deleted() in the inode allocator; seen with perf as most
# of a run's system time), which is an artifact of the benchmark, not work
# of the tool. The trash is emptied when the benchmark ends.
trash=$work/trash
mkdir -p "$trash"
cat >"$work/bin/trash" <<TRASH
#!/bin/sh
d=\$(mktemp -d "$trash/t.XXXXXX")
for p in "\$@"; do [ -e "\$p" ] && mv "\$p" "\$d/\$(echo "\$p" | tr / _)"; done
exit 0
TRASH
chmod +x "$work/bin/trash"
rm_=$work/bin/trash
cold_prepare=${PROTOCTL_COLD_PREPARE:-}
second() { # second PREPARE_JSON: the paired command, if any, and the end of the list
  if [[ -n $second_name ]]; then
    printf ',\n      {"name": %s, "run": %s, "prepare": %s}' "$(q "$second_name")" "$(q "$second_run")" "$1"
  fi
  printf ']}'
}
{
  echo '{'
  echo "  \"dir\": $(q "$ws"), \"runs\": $runs, \"warmup\": 1, \"timeout\": \"20m\","
  echo '  "scenarios": ['
  sep=""
  IFS=, read -ra want <<<"$scenarios"
  for s in "${want[@]}"; do
    case $s in
      cold)
        printf '%s    {"name": "cold", "prepare": %s, "commands": [\n      {"name": "buf", "run": %s}' "$sep" "$(q "$rm_ gen")" "$(q "$buf_run")"
        [[ $pinned == 1 && -z $cold_prepare ]] && cold_prepare="$rm_ $PROTOCTL_CACHE_DIR/gen $PROTOCTL_CACHE_DIR/compile $PROTOCTL_CACHE_DIR/state"
        second "$(q "$cold_prepare")" ;;
      noop)
        printf '%s    {"name": "noop", "commands": [\n      {"name": "buf", "run": %s}' "$sep" "$(q "$buf_run")"
        second '""' ;;
      one-change)
        printf '%s    {"name": "one-change", "prepare": %s, "commands": [\n      {"name": "buf", "run": %s}' "$sep" "$(q "$change")" "$(q "$buf_run")"
        second '""' ;;
      python)
        printf '%s    {"name": "python", "commands": [\n      {"name": "grpc_tools.protoc", "run": %s, "prepare": %s},\n      {"name": "buf-python", "run": %s, "prepare": %s}' \
          "$sep" "$(q "$py_direct")" "$(q "$rm_ py && mkdir py")" "$(q "$BUF generate --template buf.gen.python.yaml")" "$(q "$rm_ py-buf")"
        if [[ -n ${PROTOCTL_PY:-} ]]; then
          printf ',\n      {"name": "protoctl-python", "run": %s, "prepare": %s}' "$(q "$PROTOCTL_PY")" "$(q "$rm_ py ${PROTOCTL_CACHE_DIR:+$PROTOCTL_CACHE_DIR/gen $PROTOCTL_CACHE_DIR/compile $PROTOCTL_CACHE_DIR/state}")"
        fi
        printf ']}' ;;
      *) say "unknown scenario $s (want cold, noop, one-change, python)"; exit 1 ;;
    esac
    sep=$',\n'
  done
  printf '\n  ]\n}\n'
} >"$work/spec.json"

say "work directory $work; spec $work/spec.json"
"$work/bin/harness" -spec "$work/spec.json" -json "$json" | tee "$work/results.txt"
rm -rf "$trash"
say "results: $work/results.txt and $json"
