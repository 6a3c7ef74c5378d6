"""Resident memory of a running local platform, for `make bench`: `andes-local` itself (gateway,
runtime, triggers, and the embedded DynamoDB when it has one), the backend processes it started
(moto), and every function instance. Prints one markdown row.
Usage: measure_memory.py PLATFORM_PID LABEL"""

import os
import sys


def children(pid):
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            found += [int(c) for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
        except OSError:
            pass
    return found


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def command(pid):
    return open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0].decode(errors="replace")


def main():
    platform, label = int(sys.argv[1]), sys.argv[2]
    backend, functions, instances = 0.0, 0.0, 0
    pending = children(platform)
    while pending:
        pid = pending.pop()
        try:
            if "python" in os.path.basename(command(pid)):
                backend += rss_mb(pid)
            else:
                functions += rss_mb(pid)
                instances += 1
            pending += children(pid)
        except OSError:
            continue  # retired meanwhile
    own = rss_mb(platform)
    total = own + backend + functions
    print(f"| {label} | {own:.0f} MB | {backend:.0f} MB | {functions:.0f} MB ({instances} instances) | {total:.0f} MB |")


if __name__ == "__main__":
    main()
