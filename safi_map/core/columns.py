"""Plain Python lists out of DataFrame columns, for the loops of the merge, the change report and
the writers.

Reading a pandas column value by value (``Series.__iter__``, ``.iat``, ``.map``,
``to_dict("records")``) goes through the extension-array machinery for every value: about a
microsecond each, which at 5,000 actors times 30 columns was most of a rebuild. ``tolist`` hands
the whole column over in one call; what is left is making its values the ones
``to_dict("records")`` gave, so that code moved from records to columns sees exactly the same
objects (and writes the same bytes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype

__all__ = ["column_values", "native"]

_NUMPY_SCALARS = (np.floating, np.integer, np.bool_)


def native(value: Any) -> Any:
    """``value`` as ``DataFrame.to_dict`` boxes it: numpy numbers and booleans become Python
    ones, ``pd.NA`` becomes ``None``, numpy dates pandas timestamps; anything else is returned
    as it is."""
    if isinstance(value, _NUMPY_SCALARS):
        return value.item()
    if value is pd.NA:
        return None
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.timedelta64):
        return pd.Timedelta(value)
    return value


def column_values(series: pd.Series) -> list[Any]:
    """The values of ``series`` as a list, each one as ``to_dict("records")`` gives it.

    Numpy columns already come out of ``tolist`` as Python numbers; object and extension columns
    (strings, lists, nullable numbers) may hold numpy scalars or ``pd.NA``, which are boxed with
    :func:`native` the way ``to_dict`` boxes them. Strings and lists are the common case and are
    passed through without a call.
    """
    values = series.tolist()
    dtype = series.dtype
    if dtype == np.dtype(object) or isinstance(dtype, ExtensionDtype):  # as to_dict boxes
        return [v if v.__class__ is str or v.__class__ is list else native(v) for v in values]
    return values
