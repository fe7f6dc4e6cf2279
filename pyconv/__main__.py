"""``python -m pyconv``: the benchmark against scipy (see pyconv.bench)."""

import sys

from pyconv.bench import main

sys.exit(main())
