"""CPU time of a process from /proc (utime + stime, as bench/procstat.cc
reads it), optionally with its direct children (PostgreSQL's backends; a
backend that exits inside the window is not counted). The /proc readers
are bench/matrix's."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "matrix"))
from matrix_send_cpu import TICK, cpu_ticks, tree_ticks  # noqa: E402,F401
from matrix_sync_bench import listening_pid, pct  # noqa: E402,F401


class Cpu:
    """CPU seconds a process (tree) spent since this object was made."""

    def __init__(self, pid, children=False):
        self.pid, self.children = pid, children
        self.start = self._now()

    def _now(self):
        return tree_ticks(self.pid) if self.children else cpu_ticks(self.pid)

    def seconds(self):
        return (self._now() - self.start) / TICK
