"""Run the real daemon with a wall clock a test can step.

The kernel cannot give one process its own CLOCK_REALTIME (time namespaces cover only
the monotonic and boot clocks), and libfaketime breaks Python's timed waits, so the
test steps the wall clock the daemon reads through its injectable clock instead:
argv[2] names a file holding an offset in seconds. Everything else is the real daemon.
"""

import sys
import time

from timelapse import config
from timelapse.daemon.loop import Daemon, SystemClock
from timelapse.logsetup import setup_logging


class SteppableClock(SystemClock):
    def __init__(self, offset_file):
        self.offset_file = offset_file

    def wall(self):
        try:
            with open(self.offset_file) as stream:
                offset = float(stream.read().strip() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return time.time() + offset


if __name__ == "__main__":
    settings = config.load(sys.argv[1])
    setup_logging("debug")
    sys.exit(Daemon(settings, clock=SteppableClock(sys.argv[2])).run())
