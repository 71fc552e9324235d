"""``python -m minimarket.bench``: see :mod:`minimarket.bench.runner`."""

import sys

from minimarket.bench.runner import main

sys.exit(main())
