#!/usr/bin/env python3
"""S2 harness: start the three toy nodes cold 20 times; time process start -> first /health 200."""
import os, subprocess, sys, tempfile, time, urllib.request
toy = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "toy", "minikv.py")
worst = 0.0
rows = []
for i in range(20):
    with tempfile.TemporaryDirectory() as data:
        procs = []
        try:
            for j, name in enumerate(["n1", "n2", "n3"]):
                port = 18450 + j
                t0 = time.monotonic()
                p = subprocess.Popen([sys.executable, toy, "serve", name, data, str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                procs.append((name, port, t0, p))
            for name, port, t0, p in procs:
                while True:
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=0.1)
                        break
                    except Exception:
                        if time.monotonic() - t0 > 10:
                            raise SystemExit(f"start {i}: {name} no answer in 10 s")
                        time.sleep(0.1)
                dt = time.monotonic() - t0
                worst = max(worst, dt)
                rows.append(f"start {i + 1:2} {name} first 200 after {dt * 1000:.0f} ms")
        finally:
            for _, _, _, p in procs:
                p.kill()
                p.wait()
rows.append(f"slowest first 200 over 20 starts x 3 nodes: {worst * 1000:.0f} ms")
print("\n".join(rows))
