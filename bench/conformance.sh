#!/usr/bin/env bash
# Benchmark of `protoctl conformance` (docs/conformance.md, "Benchmark"):
#   1. cross-runtime comparisons per second for small messages, both testees
#      warm (BenchmarkSmallMessages in conformance/driver_test.go);
#   2. wall time of the default run (all three suites at default N);
#   3. peak memory (RSS) of the driver and of each testee in that run, as the
#      report gives it.
# Each figure is the median of RUNS runs (default 5). Run it from anywhere in
# the repository on an otherwise idle machine:
#   bench/conformance.sh            # RUNS=5
#   RUNS=9 bench/conformance.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

go build -o bin/protoctl ./cmd/protoctl
./bin/protoctl conformance >/dev/null # warm: toolchain, testee build, caches

echo "== small messages: cross-runtime comparisons per second (median of $runs)"
go test ./conformance -run '^$' -bench SmallMessages -benchtime 20000x -count "$runs" |
	awk '/comparisons\/s/ {for (i = 1; i < NF; i++) if ($(i+1) == "comparisons/s") print $i}' | tee /tmp/protoctl-bench-cps | tr '\n' ' '
echo
echo "median: $(median </tmp/protoctl-bench-cps) comparisons/s"

echo "== default run: wall time and peak RSS (median of $runs)"
: >/tmp/protoctl-bench-wall
: >/tmp/protoctl-bench-rss
for _ in $(seq "$runs"); do
	start=$(date +%s.%N)
	./bin/protoctl conformance --format json >/tmp/protoctl-bench-report.json
	end=$(date +%s.%N)
	echo "$end - $start" | bc >>/tmp/protoctl-bench-wall
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["peak_rss_bytes"]; print(r["driver"]>>20, r["go"]>>20, r["python"]>>20)' \
		/tmp/protoctl-bench-report.json >>/tmp/protoctl-bench-rss
done
echo "wall seconds: $(tr '\n' ' ' </tmp/protoctl-bench-wall)"
echo "median: $(median </tmp/protoctl-bench-wall) s"
echo "peak RSS MiB (driver go python) per run:"
cat /tmp/protoctl-bench-rss
for col in 1 2 3; do
	printf '%s median: %s MiB\n' "$(echo driver go python | cut -d' ' -f$col)" "$(cut -d' ' -f$col /tmp/protoctl-bench-rss | median)"
done
