#!/usr/bin/python3
"""pacer.py RATE FILE OUT -- write FILE's lines to OUT (a FIFO) at RATE
lines per second, in 10 ms slices, then close it.  It stands in for
eslogger on a Mac producing events at a steady rate.  Opening OUT blocks
until the reader (the agent) opens it; the clock starts then.  Prints the
rate it achieved on stderr.
"""
import os
import sys
import time


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: pacer.py RATE FILE OUT")
    rate = float(sys.argv[1])
    with open(sys.argv[2], "rb") as f:
        lines = f.readlines()
    out = os.open(sys.argv[3], os.O_WRONLY)
    t0 = time.monotonic()
    sent = 0
    n = len(lines)
    while sent < n:
        due = min(n, int((time.monotonic() - t0) * rate) + 1)
        if due > sent:
            for i in range(sent, due, 64):
                os.write(out, b"".join(lines[i:min(due, i + 64)]))
            sent = due
        else:
            time.sleep(0.01)
    os.close(out)
    took = time.monotonic() - t0
    sys.stderr.write("pacer: %d lines in %.2f s = %.0f lines/s (asked %g)\n"
                     % (n, took, n / took if took > 0 else 0, rate))


if __name__ == "__main__":
    main()
