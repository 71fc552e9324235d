"""Key rotations from two processes at once (an operator and the monthly pipeline): none is lost."""

from __future__ import annotations

import subprocess
import sys

from minimarket.config import get_settings
from minimarket.service.auth import KeyRing

ROTATIONS = 50
ROTATE = f"""
from minimarket.config import get_settings
from minimarket.service.key_rotation import rotate_keys
settings = get_settings()
print("ready", flush=True)
input()  # both start rotating together
for _ in range({ROTATIONS}):
    ring, old = rotate_keys(settings)
    print(old.kid, ring.current.kid)
"""


def test_concurrent_rotations_form_one_chain() -> None:
    settings = get_settings()
    first = KeyRing.load_or_create(settings).current.kid
    rotators = [
        subprocess.Popen([sys.executable, "-c", ROTATE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for process in rotators:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
    for process in rotators:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.close()
    outputs = [p.stdout.read() for p in rotators if p.stdout is not None]
    for process in rotators:
        process.wait(timeout=300)
    assert [p.returncode for p in rotators] == [0, 0], outputs
    pairs = [line.split() for out in outputs for line in out.splitlines()]
    assert len(pairs) == 2 * ROTATIONS
    following = dict(pairs)
    assert len(following) == len(pairs), "two rotations started from the same key: one new key was lost"
    kid, steps = first, 0
    while kid in following:
        kid, steps = following[kid], steps + 1
    assert steps == len(pairs)
    ring = KeyRing.load_or_create(settings)
    assert ring.current.kid == kid and len(ring.keys) == 2
