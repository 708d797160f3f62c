#!/usr/bin/env bash
# bench/grpc.sh: the standard Go client -> Python server comparison of
# docs/bench.md, then a cross-check with ghz against the same server.
#
#   bench/grpc.sh                          # 8 s runs: 24 runs, about 4 minutes
#   DURATION=3s bench/grpc.sh              # a quick look
#   PYTHON=.venv/bin/python bench/grpc.sh  # run the server with this interpreter
#   GHZ=none bench/grpc.sh                 # skip the ghz cross-check
#   ONLY=ghz GHZ=/path/to/ghz bench/grpc.sh  # only the ghz cross-check
#
# Results go to BENCH_WORK (default: a new temporary directory): results.json
# ({"runs": [...], "checks": [...]}), results.txt (progress and table),
# bench.svg (the plot), ghz.json and ghz-pool.json (the cross-check).
# Every server listens on 127.0.0.1 below port 32768; every run is bounded.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=${BENCH_WORK:-$(mktemp -d)}
mkdir -p "$work"
duration=${DURATION:-8s}
warmup=${WARMUP:-1s}
ghz_version=v0.120.0

go build -o "$work/protoctl" ./cmd/protoctl
python_flag=()
if [[ -n "${PYTHON:-}" ]]; then
	python_flag=(--python "$PYTHON")
fi

if [[ "${ONLY:-}" != ghz ]]; then
echo "== protoctl bench: per-call, single, pool; 1 and 2 processes; sync and aio; c=1,16 ($duration each)"
"$work/protoctl" bench "${python_flag[@]}" --duration "$duration" --warmup "$warmup" \
	--concurrency 1,16 --server-processes 1,2 --server-mode sync,aio \
	--plot "$work/bench.svg" --json >"$work/results.json" 2>"$work/results.txt"
cat "$work/results.txt"
echo "results: $work/results.json, plot: $work/bench.svg"
fi

# ghz cross-check: ghz (pinned; @latest resolves to a 2021 release) and the
# pool against one 2-process sync server, same call, same concurrency.
if [[ "${GHZ:-}" == none ]]; then
	exit 0
fi
ghz=${GHZ:-}
if [[ -z "$ghz" ]]; then
	if GOBIN="$work/bin" go install "github.com/bojand/ghz/cmd/ghz@$ghz_version" 2>"$work/ghz-install.log"; then
		ghz="$work/bin/ghz"
	else
		echo "ghz $ghz_version could not be installed (see $work/ghz-install.log): skipping the cross-check"
		exit 0
	fi
fi
# The cross-check starts its server by hand, so it needs an interpreter
# with the server's dependencies: PYTHON, or the repository's .venv.
python=${PYTHON:-$root/.venv/bin/python}
if ! PYTHONPATH="$root/python/src" "$python" -c 'import protoctl_server' 2>/dev/null; then
	echo "$python cannot run the server: set PYTHON for the ghz cross-check"
	exit 0
fi
port=$((20000 + RANDOM % 12000))
PYTHONPATH="$root/python/src" "$python" -m protoctl_server --listen "127.0.0.1:$port" \
	--plaintext --workers 2 --mode sync --metrics-port 0 --log-level warning 2>"$work/server.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	grep -q "serving on" "$work/server.log" 2>/dev/null && break
	sleep 0.1
done
payload=$(printf 'abcdefghijklmnopqrstuvwxyzabcde' | base64)
echo "== ghz $ghz_version: -c 16 --connections 4 -z $duration against 2 x sync on :$port"
# ghz reads the schema from the .proto: its reflection lookups fail against
# the server ("Symbol not found", even for grpc.health.v1.Health).
"$ghz" --insecure --proto "$root/testproto/protoctl/testing/v1/behavior.proto" -i "$root/testproto" \
	--call protoctl.testing.v1.BehaviorService/Unary \
	-d "{\"payload\":\"$payload\"}" -c 16 --connections 4 -z "$duration" \
	--format json "127.0.0.1:$port" >"$work/ghz.json"
echo "== protoctl bench --target (pool, c=16) against the same server"
"$work/protoctl" bench --target "127.0.0.1:$port" --strategies pool --concurrency 16 \
	--duration "$duration" --warmup "$warmup" --json >"$work/ghz-pool.json" 2>/dev/null
"$python" - "$work/ghz.json" "$work/ghz-pool.json" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))["runs"][0]
lat = {d["percentage"]: d["latency"] / 1e6 for d in g.get("latencyDistribution") or []}
print(f"ghz:  {g['rps']:.0f} rps, p50 {lat.get(50, 0):.3f} ms, p99 {lat.get(99, 0):.3f} ms")
print(f"pool: {p['qps']:.0f} qps, p50 {p['p50_ms']:.3f} ms, p99 {p['p99_ms']:.3f} ms, client {p['client_cpu_us_per_rpc']:.0f} us/rpc")
print(f"pool / ghz: {p['qps'] / g['rps']:.2f}x (ghz spends more client cpu per call; see docs/bench.md)")
EOF
