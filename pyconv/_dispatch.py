"""One filter call, whatever the input: the path every public function takes.

A dask array gets a lazy graph (``_dask``); anything else is checked
(``normalize``, which builds a Problem) and computed by the method the plan
picks (``_plan.run``).
"""

import numpy as np

from pyconv import _plan
from pyconv._dask import filter_dask, is_dask_array
from pyconv._normalize import normalize


def filter_any(input, weights, output, mode, cval, origin, **keywords):
    """correlate/convolve with the keywords of ``normalize``; dask in, dask out."""
    if is_dask_array(input):
        return filter_dask(input, weights, output, mode, cval, origin, **keywords)
    # A value past a float type's range (cval, weights or a result cast to
    # float32 or float16) becomes +-inf without a warning, as integer
    # results saturate.
    with np.errstate(over="ignore"):
        problem = normalize(input, weights, output, mode, cval, origin, **keywords)
        result = _plan.run(problem)
    return problem.finish(result)  # (a bool result: nonzero sums are True)
