# The benchmark workers' clock on both runtimes: clock() then secs(t0) seconds since.
import time

if hasattr(time, "ticks_us"):
    def clock():
        return time.ticks_us()

    def secs(t0):
        return time.ticks_diff(time.ticks_us(), t0) / 1e6
else:
    def clock():
        return time.perf_counter()

    def secs(t0):
        return time.perf_counter() - t0
