"""Waits until a URL answers 200, the deadline passes, or the watched process dies."""
import os
import sys
import time
import urllib.request

url, seconds, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        print(f"process {pid} exited before {url} was healthy", file=sys.stderr)
        sys.exit(1)
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.3)
print(f"{url} not healthy after {seconds:.0f} s", file=sys.stderr)
sys.exit(1)
