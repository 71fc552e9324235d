"""The reader service's answers carry a fixed media type (BentoML need not build their JSON schema per answer)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_read_answers_have_a_fixed_json_media_type(isolated_state: object) -> None:
    # a process of its own: importing the services builds the app and installs the log redaction
    code = (
        "from minimarket.service.bento import InvoiceReaderService as S\n"
        "spec = S.apis['read'].output_spec\n"
        "assert spec.media_type == 'application/json', spec.media_type\n"
        "assert spec.mime_type() == 'application/json'\n"
        "assert S.apis['read'].schema()['output']['type'] == 'array'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
