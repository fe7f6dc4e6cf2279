"""The benchmark of ``python -m pyconv``: pyconv against scipy (and, with
``--opencv``, against OpenCV) on synthetic data, each result checked before
it is timed; ``--small`` and ``--busy`` time the fixed cost of a call and
calls on a machine kept busy by other processes; ``--nan`` times
``nan_policy="omit"`` against astropy and against pyconv's plain call;
``--streams`` times a stream against the whole-array call and lfilter.

It uses pyconv's public API only. The modules, each importing only those
listed before it:

* ``_timing``: timing helpers, the machine and thread count of a run;
* ``_display``: aligned text tables, the progress bar;
* ``scipy_table``: the cases against scipy, their checks and their table;
* ``sweep``: ``--sweep``, direct against FFT across kernel sizes;
* ``small``: ``--small``, the fixed cost of a call on small arrays, and the
  size sweep from 10 to 10^7 elements;
* ``busy``: ``--busy``, timings beside CPU-bound processes it starts;
* ``plot``: ``--plot``, the speed-ups as a bar chart;
* ``opencv``: ``--opencv``, the table against OpenCV and the machine's floor;
* ``missing``: ``--nan``, missing data (``nan_policy="omit"``) and its anchors;
* ``streams``: ``--streams``, a stream against the whole call and lfilter;
* ``_cli``: the command line, ``main``.
"""

from pyconv.bench._cli import main

__all__ = ["main"]
