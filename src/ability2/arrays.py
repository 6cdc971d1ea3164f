"""numpy and Arrow arrays turned into each other without pandas.

pyarrow converts numpy arrays (``pyarrow.array(ndarray)``, ``Array.to_numpy``) through its
pandas shim, which imports pandas on first use: half a second of a command that otherwise
never needs pandas. Integer arrays without nulls share one buffer layout in both
libraries, so these functions hand the buffer over instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = ["arrow_ints", "numpy_ints"]


def arrow_ints(values: np.ndarray[Any, Any]) -> pa.Array:
    """A one-dimensional numpy integer array as an Arrow array of the same type (shares a contiguous array's memory)."""
    import numpy as np
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    if values.dtype.kind not in "iu" or values.ndim != 1:
        raise TypeError(
            f"arrow_ints takes a one-dimensional integer array, not {values.dtype} of {values.ndim} dimensions"
        )
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def numpy_ints(array: pa.Array) -> np.ndarray[Any, Any]:
    """An Arrow integer array without nulls as a read-only numpy view of its buffer."""
    import numpy as np

    if array.null_count:
        raise ValueError("numpy_ints takes an array without nulls")
    dtype = np.dtype(array.type.to_pandas_dtype())
    values: np.ndarray[Any, Any] = np.frombuffer(array.buffers()[1], dtype=dtype)[
        array.offset : array.offset + len(array)
    ]
    values.flags.writeable = False  # Arrow's buffer may be mutable: the view must not write into it
    return values
