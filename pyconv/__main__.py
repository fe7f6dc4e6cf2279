"""``python -m pyconv``: the benchmark against scipy (see pyconv._bench)."""

import sys

from pyconv._bench import main

sys.exit(main())
