"""Ctrl-C: a call that runs for seconds stops within half a second with
KeyboardInterrupt, and leaves no thread computing. Each case runs in a
subprocess that the test interrupts with SIGINT."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

CHILD = textwrap.dedent("""
    import resource, sys, threading, time
    import numpy as np
    import pyconv

    method = sys.argv[1]
    rng = np.random.default_rng(0)
    if method == "direct":   # about 1.4e11 multiply-adds (not separable): seconds
        x, w = rng.standard_normal((4000, 4000)), rng.standard_normal((95, 95))
    else:                    # an FFT of 125 3-D tiles in 5 boxes: several seconds
        x = rng.standard_normal((400, 400, 400)).astype(np.float32)
        w = np.ones((63, 63, 63), np.float32)
    print("ready", flush=True)
    try:
        pyconv.correlate(x, w, method=method, workers=2)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        # An OpenMP runtime's idle threads spin a while before they sleep
        # (libgomp briefly, LLVM's libomp for KMP_BLOCKTIME, 200 ms): that
        # is the runtime waiting for work, not pyconv still computing.
        time.sleep(0.4)
        before = resource.getrusage(resource.RUSAGE_SELF)
        time.sleep(0.3)
        after = resource.getrusage(resource.RUSAGE_SELF)
        busy = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"threads {threading.active_count()} cpu {busy:.3f}", flush=True)
        sys.exit(3)
    print("finished", flush=True)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX only")
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_ctrl_c_stops_a_long_call(method, tmp_path):
    with subprocess.Popen([sys.executable, "-c", CHILD, method], cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout.readline().strip() == "ready"
            time.sleep(1.0)  # well inside the computation
            assert child.poll() is None, "the call finished before it could be interrupted"
            sent = time.perf_counter()
            child.send_signal(signal.SIGINT)
            line = child.stdout.readline().strip()
            latency = time.perf_counter() - sent
            assert line == "interrupted", (line, child.stderr.read())
            threads, cpu = child.stdout.readline().split()[1::2]
            assert child.wait(timeout=30) == 3
        finally:
            child.kill()
    print(f"{method}: stopped {latency * 1e3:.0f} ms after SIGINT")
    assert latency < 0.5, f"stopped {latency:.3f} s after SIGINT"
    assert int(threads) == 1, "a Python thread is still alive"
    assert float(cpu) < 0.05, f"something still computes after the interrupt ({cpu} s CPU)"
