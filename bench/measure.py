"""Run one command and report its wall time and peak memory, measured from a small parent.

    python -I bench/measure.py RESULT.json -- COMMAND [ARGS...]

Writes ``{"returncode", "wall_seconds", "peak_rss_kb"}`` to RESULT.json (and exits with the
command's status). Why a separate launcher: Linux charges a child's ``ru_maxrss`` with the
resident size of the memory it was forked from (the parent's pages count until ``exec``), so a
benchmark that has loaded a truth file would inflate every figure it measured directly. This
launcher imports nothing heavy, so the command's figure is its own (plus ~10 MB at most).
Standard library only, on purpose.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write(__doc__ or "")
        return 2
    result_path, command = argv[0], argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(result_path, "w") as sink:
        # Linux reports ru_maxrss in kilobytes.
        json.dump({"returncode": code, "wall_seconds": wall, "peak_rss_kb": usage.ru_maxrss},
                  sink)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
