#!/usr/bin/env python3
"""The main job's trainer pace with and without an evaluation beside it, from one run's logs.

Sets the trainer's 10-second progress lines against eval-service's evaluations (each logged with
its end and duration): a line counts as "eval scoring" when evaluations cover over 80 % of it and
as "no eval" under 5 %; prints the median images/s and data wait of each (BENCHMARKS.md, "The main
job", stop 41).

    python3 bench/trainer_pace_beside_eval.py [.devstack/logs]
"""
import datetime
import re
import statistics
import sys

LOGS = sys.argv[1] if len(sys.argv) > 1 else ".devstack/logs"


def clock(text):
    return datetime.datetime.strptime(text, "%H:%M:%S,%f")


evaluations = []
for line in open(f"{LOGS}/eval-service.log", encoding="utf-8"):
    m = re.search(r"^\S+ (\S+) .*CheckpointEvaluations.* step \d+ on .*\(([0-9.]+) s\)", line)
    if m:
        end = clock(m.group(1))
        evaluations.append((end - datetime.timedelta(seconds=float(m.group(2))), end))

progress = []
for line in open(f"{LOGS}/trainer-service.log", encoding="utf-8"):
    m = re.search(r"^\S+ (\S+) .*progress.* ([0-9.]+) images/s\s+data wait ([0-9.]+)%", line)
    if m:
        progress.append((clock(m.group(1)), float(m.group(2)), float(m.group(3))))

groups = {"eval scoring": [], "no eval": []}
for (start, _, _), (end, pace, wait) in zip(progress, progress[1:]):
    covered = sum(max(0.0, (min(end, e) - max(start, s)).total_seconds()) for s, e in evaluations)
    share = covered / max(1e-9, (end - start).total_seconds())
    if share > 0.8:
        groups["eval scoring"].append((pace, wait))
    elif share < 0.05:
        groups["no eval"].append((pace, wait))

print(f"{len(evaluations)} evaluations, {len(progress)} progress lines")
for name, rows in groups.items():
    if rows:
        print(f"{name}: {len(rows)} lines, images/s median {statistics.median(r[0] for r in rows):.1f},"
              f" data wait median {statistics.median(r[1] for r in rows):.2f} %,"
              f" mean {statistics.mean(r[1] for r in rows):.2f} %")
