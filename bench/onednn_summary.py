"""Where a DL4J training step's oneDNN time goes, from oneDNN's own verbose log.

  DNNL_VERBOSE=1 java ... tipstream.bench.TrainingThroughputBenchmark --rounds 1 --steps 60 --warmup 30 ... > log
  python3 bench/onednn_summary.py --steps 90 < log        # 90: the warm-up and timed training steps together

Reads the log's `dnnl_verbose,exec` lines up to the last backward primitive (the benchmark trains first, then
infers), and prints milliseconds a step by primitive kind (convolution forward, backward data, backward weights,
reorders between layouts), then the costliest shapes. The verbose log slows every call a little, so compare the
shares, not the totals, with the benchmark's images/s. PyTorch's side: tipnet_torch.py speed --profile.
"""
import argparse
import collections
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, required=True, help="training steps in the log, warm-up included")
    parser.add_argument("--top", type=int, default=12, help="costliest primitive shapes to list")
    args = parser.parse_args()
    lines = [line.strip().split(",") for line in sys.stdin if line.startswith("dnnl_verbose,exec,")]
    last_backward = max((i for i, f in enumerate(lines) if f[5].startswith("backward")), default=-1)
    if last_backward < 0:
        sys.exit("no backward primitive in the log: was it run with DNNL_VERBOSE=1 (oneDNN 2.3 reads no ONEDNN_VERBOSE), and did it train?")
    by_kind = collections.Counter()
    by_shape = collections.Counter()
    calls = collections.Counter()
    for f in lines[:last_backward + 1]:
        kind = f[3] if f[5] == "undef" else f"{f[3]} {f[5]}"
        ms = float(f[-1])
        by_kind[kind] += ms
        calls[kind] += 1
        by_shape[(kind, f[-2], f[6].split(" ")[0] + " -> " + f[6].split(" ")[-1] if f[3] == "reorder" else "")] += ms
    total = sum(by_kind.values())
    print(f"oneDNN: {total / args.steps:.2f} ms a training step over {args.steps} steps")
    for kind, ms in by_kind.most_common():
        print(f"  {ms / args.steps:7.2f} ms/step  {100 * ms / total:5.1f} %  {calls[kind] / args.steps:5.1f} calls/step  {kind}")
    print("costliest shapes:")
    for (kind, shape, layouts), ms in by_shape.most_common(args.top):
        print(f"  {ms / args.steps:7.2f} ms/step  {kind}  {shape}  {layouts}")


if __name__ == "__main__":
    main()
