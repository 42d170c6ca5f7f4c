#!/usr/bin/env bash
# Generates the Python gRPC stubs from proto/ into clients/python/gen/ (needs grpcio-tools:
# Debian's python3-grpc-tools, or `pip install grpcio-tools`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto="$here/../../proto/src/main/proto"
mkdir -p "$here/gen"
"${PYTHON:-python3}" -m grpc_tools.protoc -I "$proto" --python_out="$here/gen" --grpc_python_out="$here/gen" \
  "$proto"/tipstream/v1/*.proto
echo "stubs in $here/gen"
