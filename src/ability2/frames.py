"""pandas DataFrames built column by column, without stacking.

``pandas.DataFrame(dict_of_arrays)`` stacks every numeric column into one two-dimensional
block per dtype (a strided copy) and turns every object array of texts into its string type
value by value: for a million teachers and thirty columns that is most of the time a table
takes. Here each column becomes a block of its own (a plain copy of the numpy array, viewed
as one row of a block), and texts held by polars become pandas' string array straight from
their Arrow buffers. The frame is the one ``pandas.DataFrame(dict)`` gives: same columns,
dtypes and values, and as independent of the arrays it was made from.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["arrow_strings", "pandas_frame", "string_array"]


def _string_dtype() -> Any:
    """The dtype pandas gives a column of Python texts (``str`` in pandas 3, ``object`` before; asked each time: an option changes it)."""
    import numpy as np
    import pandas as pd

    return pd.Series(np.array(["a"], dtype=object)).dtype


def arrow_strings() -> bool:
    """Whether pandas holds texts in Arrow (pandas 3, or pandas 2 with ``future.infer_string``)."""
    import pandas as pd

    dtype = _string_dtype()
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def string_array(series: Any) -> Any:
    """A polars ``String`` Series as the array pandas would make of its texts (nulls as missing)."""
    import numpy as np
    import pandas as pd

    dtype = _string_dtype()
    if arrow_strings():
        return pd.array(series.to_arrow(), dtype=dtype)
    texts = series.to_numpy().astype(object, copy=False)
    return texts if dtype == np.dtype(object) else pd.Series(texts).array


def pandas_frame(
    columns: Mapping[str, Any], *, objects: Collection[str] = (), owned: Collection[str] = ()
) -> pd.DataFrame:
    """A DataFrame of ``columns`` (name -> numpy array, pandas array or polars Series), equal to ``pandas.DataFrame(columns)``.

    Each numpy array is copied once, as it is (a column of its own, not stacked into a
    two-dimensional block): the frame can be changed without changing the arrays it was
    made from. Arrays named in ``owned`` were made for this frame alone (no other name or
    object holds them): they become its columns without a copy. polars Series become pandas
    arrays through Arrow (immutable buffers, shared); other object arrays are typed as pandas
    types them, except those named in ``objects``, kept as Python objects (lists, say).
    """
    import numpy as np
    import pandas as pd

    arrays: dict[str, Any] = {}
    for name, values in columns.items():
        if isinstance(values, np.ndarray):
            if values.dtype == object and name not in objects:
                values = pd.Series(values, copy=True).array
            elif name not in owned:
                values = values.copy()  # the caller's arrays stay as they are whatever the frame's user does
        elif not isinstance(values, pd.api.extensions.ExtensionArray):
            # a polars Series: its texts through Arrow, anything else as polars converts it
            values = string_array(values) if values.dtype.is_(_polars_string()) else values.to_pandas().array
        arrays[name] = values
    try:
        from pandas.api.internals import create_dataframe_from_blocks
    except ImportError:  # pandas before 2.3: the copying constructor
        return pd.DataFrame({name: _unwrapped(values) for name, values in arrays.items()})
    size = len(next(iter(arrays.values()))) if arrays else 0
    blocks = []
    for position, values in enumerate(arrays.values()):
        placement = np.array([position], dtype=np.intp)
        if isinstance(values, pd.api.extensions.ExtensionArray) and not isinstance(
            values, pd.arrays.NumpyExtensionArray
        ):
            blocks.append((values, placement))
        else:
            blocks.append((np.asarray(values).reshape(1, size), placement))
    return create_dataframe_from_blocks(blocks, index=pd.RangeIndex(size), columns=pd.Index(list(arrays)))


def _unwrapped(values: Any) -> Any:
    import pandas as pd

    return values.to_numpy() if isinstance(values, pd.arrays.NumpyExtensionArray) else values


@cache
def _polars_string() -> Any:
    import polars as pl

    return pl.String
