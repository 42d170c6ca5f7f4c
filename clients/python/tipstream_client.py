#!/usr/bin/env python3
"""A tipstream client in Python, from proto/ alone: uploads a folder of frames, imports a CVAT
export, lists runs and follows a run's metrics. Run ./generate.sh once for the stubs.

  python3 tipstream_client.py upload FOLDER [--capture ID]
  python3 tipstream_client.py import-cvat EXPORT.xml|EXPORT.zip [--label tip]
  python3 tipstream_client.py runs
  python3 tipstream_client.py follow RUN [--until-step N]

--ingest and --eval say where the services are (default: the platform `./tipstream up` runs);
--token (or $TIPSTREAM_TOKEN) sends "authorization: Bearer <token>".
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))
import grpc  # noqa: E402
from tipstream.v1 import ingest_pb2, ingest_pb2_grpc, metrics_pb2, metrics_pb2_grpc  # noqa: E402

RIG_NAME = re.compile(r"(.+)-cam([LR])(\d{1,9})\.png$")


def metadata(args):
    return [("authorization", "Bearer " + args.token)] if args.token else []


def upload(args):
    names = sorted(n for n in os.listdir(args.folder) if n.lower().endswith(".png"))
    by_capture = {}
    for name in names:
        match = RIG_NAME.match(name)
        capture = args.capture or (match.group(1) if match else os.path.basename(os.path.abspath(args.folder)))
        by_capture.setdefault(capture, []).append(name)
    stub = ingest_pb2_grpc.IngestStub(grpc.insecure_channel(args.ingest))
    failed = 0
    for capture, frames in by_capture.items():
        def requests():
            for name in frames:
                with open(os.path.join(args.folder, name), "rb") as f:
                    yield ingest_pb2.UploadFrame(capture_id=capture, frame_name=name, png=f.read(), source="python")
        summary = stub.UploadCapture(requests(), metadata=metadata(args))
        print(f"{capture}: {len(frames)} frames: {summary.accepted} new, {summary.duplicates} already stored, "
              f"{summary.rejected} rejected")
        for rejection in summary.rejections:
            print(f"  rejected {rejection.frame_name}: {rejection.reason}")
        failed += summary.rejected
    return 0 if failed == 0 else 2


def import_cvat(args):
    stub = ingest_pb2_grpc.IngestStub(grpc.insecure_channel(args.ingest))
    with open(args.export, "rb") as f:
        summary = stub.ImportCvat(ingest_pb2.CvatImport(xml=f.read(), source_name=os.path.basename(args.export),
                                                        label=args.label or ""), metadata=metadata(args))
    print(f"{args.export}: CVAT for {summary.format.lower()}, label '{summary.label}', {summary.frames_covered} "
          f"frames covered: {summary.labels_published} tip labels, {summary.no_tip_labels} no-tip labels, "
          f"{summary.rejected} rejected")
    return 0 if summary.rejected == 0 else 2


def runs(args):
    stub = metrics_pb2_grpc.MetricsStub(grpc.insecure_channel(args.eval))
    answer = stub.ListRuns(metrics_pb2.ListRunsRequest(), metadata=metadata(args))
    for run in answer.runs:
        print(f"{run.run}\t{run.last_step}")
    if not answer.runs:
        print("no runs yet")
    return 0


def follow(args):
    stub = metrics_pb2_grpc.MetricsStub(grpc.insecure_channel(args.eval))
    for event in stub.Subscribe(metrics_pb2.SubscribeRequest(), metadata=metadata(args)):
        if event.run == args.run or event.run.startswith(args.run + "/"):
            print(f"{event.run}\t{event.step}\t{event.tag}\t{event.value:.6g}", flush=True)
            if args.until_step is not None and event.step >= args.until_step:
                return 0
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ingest", default="127.0.0.1:19180")
    parser.add_argument("--eval", default="127.0.0.1:19183")
    parser.add_argument("--token", default=os.environ.get("TIPSTREAM_TOKEN", ""))
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("upload")
    p.add_argument("folder")
    p.add_argument("--capture")
    p.set_defaults(handler=upload)
    p = commands.add_parser("import-cvat")
    p.add_argument("export")
    p.add_argument("--label")
    p.set_defaults(handler=import_cvat)
    commands.add_parser("runs").set_defaults(handler=runs)
    p = commands.add_parser("follow")
    p.add_argument("run")
    p.add_argument("--until-step", type=int)
    p.set_defaults(handler=follow)
    args = parser.parse_args()
    try:
        return args.handler(args)
    except grpc.RpcError as e:
        print(f"{args.command}: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
