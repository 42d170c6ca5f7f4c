#!/usr/bin/env bash
# Runs one benchmark: bench/run.sh <Name> [args], e.g. bench/run.sh IngestBenchmark --frames 300 --rounds 5
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -ntp install -DskipTests
name="$1"; shift
exec java -Xmx2g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" "tipstream.bench.$name" "$@"
