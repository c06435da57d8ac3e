"""The arena cap `cct-monitor run` sets before its threads start (glibc `mallopt(M_ARENA_MAX)`)."""

import ctypes.util
import subprocess
import sys

import pytest

from monitor.memtrim import limit_malloc_arenas
from monitor.settings import Settings

GLIBC = bool(ctypes.util.find_library("c")) and sys.platform.startswith("linux")


def test_zero_leaves_glibcs_default_and_the_setting_defaults_to_two():
    assert limit_malloc_arenas(0) is False
    assert Settings().pipeline.malloc_arenas == 2


@pytest.mark.skipif(not GLIBC, reason="glibc only")
def test_a_cap_is_applied_and_threads_still_allocate():
    code = ("import threading; from monitor.memtrim import limit_malloc_arenas; assert limit_malloc_arenas(2);"
            "out=[];ts=[threading.Thread(target=lambda: out.append(len(bytearray(1 << 20)))) for _ in range(8)];"
            "[t.start() for t in ts];[t.join() for t in ts];print(sum(out))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(8 << 20)
