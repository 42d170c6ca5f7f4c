#!/usr/bin/env bash
# Runs one benchmark: bench/run.sh <Name> [args], e.g. bench/run.sh IngestBenchmark --frames 300 --rounds 5
set -euo pipefail
cd "$(dirname "$0")/.."
./build.sh
name="$1"; shift
# The services' malloc settings (ServiceProcess.MALLOC_ENVIRONMENT, the Dockerfiles), so that
# benchmarks measure what runs; unless the caller sets its own
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-1073741824}" \
  MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-536870912}"
exec java -Xmx2g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" "tipstream.bench.$name" "$@"
