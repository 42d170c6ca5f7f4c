#!/usr/bin/env bash
# The main job: builds what it needs, starts the embedded Kafka and S3 and the services,
# streams simulated lab captures through them and prints what arrived. Options: --help.
set -euo pipefail
cd "$(dirname "$0")"
started_at=$(date +%s%3N) # the job's time (--minutes) counts from here, the build included
./build.sh
exec java -Xmx1g -cp "devstack/target/classes:$(cat devstack/target/classpath.txt)" \
  tipstream.devstack.PipelineRun --started-at "$started_at" "$@"
