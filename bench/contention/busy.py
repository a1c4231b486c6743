"""A competing process for bench/contention: burns one core at DUTY (0-1] of the time, in 10 ms periods, until killed."""
import sys, time

duty = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
period = 0.010
while True:
    start = time.monotonic()
    while time.monotonic() - start < duty * period:
        pass
    if duty < 1.0:
        time.sleep(max(0.0, period - (time.monotonic() - start)))
