"""Where a machine's cores go while tipstream runs: every 10 s, the cores each service used (from /proc/PID/stat)
and, inside trainer-service, each thread by name (/proc/PID/task/*/stat; OpenMP's workers carry their creator's
name, so "trainer" counts the training thread and its OpenMP worker together).

  python3 bench/cpu_shares.py OUT.log &   # then ./run.sh; stop it with kill when the job is done

Each line: the time, then service=cores ... | thread=cores ... (1.00 = one core busy for the whole 10 s).
"""
import os
import sys
import time

SERVICES = ["trainer-service", "eval-service", "augment-service", "ingest-service", "kafka", "s3proxy", "devstack"]
TICKS = os.sysconf("SC_CLK_TCK")
INTERVAL = 10


def cpu_ticks(stat_path):
    """utime + stime of a /proc stat file, and the name between its parentheses."""
    text = open(stat_path).read()
    fields = text.rsplit(")", 1)[1].split()
    return text[text.index("(") + 1:text.rindex(")")], int(fields[11]) + int(fields[12])


def processes():
    """{pid: (service, ticks)} of the processes whose command line names a service."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="ignore")
            service = next((s for s in SERVICES if s in command), None)
            if service:
                found[pid] = (service, cpu_ticks(f"/proc/{pid}/stat")[1])
        except OSError:
            pass
    return found


def threads(pid):
    """{tid: (name, ticks)} of one process's threads."""
    found = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                found[tid] = cpu_ticks(f"/proc/{pid}/task/{tid}/stat")
            except OSError:
                pass
    except OSError:
        pass
    return found


def main():
    out = open(sys.argv[1], "w")
    before, before_threads = processes(), {}
    while True:
        time.sleep(INTERVAL)
        now = processes()
        cores = {}
        for pid, (service, ticks) in now.items():
            if pid in before:
                cores[service] = cores.get(service, 0) + (ticks - before[pid][1]) / TICKS / INTERVAL
        trainer = next((pid for pid, (service, _) in now.items() if service == "trainer-service"), None)
        by_thread, now_threads = {}, threads(trainer) if trainer else {}
        for tid, (name, ticks) in now_threads.items():
            if tid in before_threads:
                by_thread[name] = by_thread.get(name, 0) + (ticks - before_threads[tid][1]) / TICKS / INTERVAL
        out.write(time.strftime("%H:%M:%S ") + " ".join(f"{k}={v:.2f}" for k, v in sorted(cores.items()) if v >= 0.01)
                  + " | " + " ".join(f"{k}={v:.2f}" for k, v in sorted(by_thread.items(), key=lambda kv: -kv[1])
                                     if v >= 0.01) + "\n")
        out.flush()
        before, before_threads = now, now_threads


if __name__ == "__main__":
    main()
