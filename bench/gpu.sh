#!/usr/bin/env bash
# Issue 13's GPU check in one call, on a machine with an NVIDIA GPU and its driver, Maven Central
# reachable (the CUDA backend and its redist, ~2 GB, download on first use) and JDK 17 (the GPU
# machine lent on 2026-12-04 had neither, nor CUDA 11: BENCHMARKS.md, "On a GPU"):
#   bench/gpu.sh [out-dir]
# builds with -Pcuda (ND4J then prefers its CUDA backend), prints the GPU, and runs the training
# throughput benchmark (training and inference images/s) and the data-wait benchmark (training from
# S3 shards through the prefetching loader: images/s and the share of step time spent waiting for
# data) while nvidia-smi samples utilisation every second into <out-dir>/gpu-utilisation.csv;
# the benchmarks' output goes to <out-dir>/*.txt and a summary of the utilisation is printed last.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-target/gpu}}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
./mvnw -q -B -ntp -Pcuda install -DskipTests
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader,nounits -l 1 \
  > "$out/gpu-utilisation.csv" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT
export MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=536870912
cp="bench/target/classes:$(cat bench/target/classpath.txt)"
for batch in 16 64; do
  java -Xmx4g -cp "$cp" tipstream.bench.TrainingThroughputBenchmark --batch "$batch" --steps 100 --warmup 20 \
    2>&1 | tee "$out/throughput-batch$batch.txt" | grep -v SLF4J
done
java -Xmx4g -cp "$cp" tipstream.bench.TrainingDataWaitBenchmark --frames 640 --steps 200 \
  2>&1 | tee "$out/data-wait.txt" | grep -v SLF4J
kill "$sampler" 2>/dev/null || true
awk -F', *' '{n++; s+=$2; if ($2 > 0) busy++} END {if (n) printf "GPU utilisation: mean %.0f %%, busy in %d of %d one-second samples\n", s/n, busy, n}' \
  "$out/gpu-utilisation.csv"
