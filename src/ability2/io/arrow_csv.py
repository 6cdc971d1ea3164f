"""Parse a CSV body with Arrow, repeated columns straight into their distinct texts.

The reader's fastest path for text files. Arrow parses the file a block at a time (8 MB; a
sixteenth of a file past 128 MB, up to 64 MB), and a second thread dictionary-encodes each
block's repeated columns while the next is parsed, so a million rows of schools, hours,
abilities and grades never exist as a million texts each: only their distinct values and
one ``int32`` index per column. A million-row
roster is parsed and encoded in about 0.45 s (2 cores), with a third of the memory of
parsing it whole and then encoding.

The parse follows Python's :mod:`csv` module on the cells it accepts (quotes inside a cell,
text after a closing quote, line breaks inside quotes); a row with too few or too many fields,
an unterminated quote or text that is not UTF-8 makes :func:`read_coded_csv` return ``None``
and the reader falls back to a slower parser that words the problem.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import attrs

from ability2.io.encoding import Distinct

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CodedCsv", "read_coded_csv"]

#: bytes Arrow parses per block (a row longer than this is left to the fallback) ...
_BLOCK_BYTES = 1 << 23
#: ... up to this for a large file: each block's repeated columns get a dictionary of their
#: own, all unified at the end, and 500,000 schools in random order over 90 blocks of a
#: 10M-teacher file made 9 million block entries to unify (2.2 s); fewer, larger blocks make
#: fewer (a sixteenth of the file per block: the same 8 MB for a province of a million)
_MAX_BLOCK_BYTES = 1 << 26


def block_bytes(size: int | None) -> int:
    """The bytes Arrow parses per block of a file of ``size`` bytes (unknown: the smallest block)."""
    if size is None:
        return _BLOCK_BYTES
    return max(_BLOCK_BYTES, min(_MAX_BLOCK_BYTES, size // 16))


#: bytes parsed to check the header row (a longer header row is left to the fallback)
_HEAD_BYTES = 1 << 16


@attrs.frozen(eq=False)
class CodedCsv:
    """A CSV body parsed: the texts of the columns read as texts, the others as distinct values.

    ``texts`` holds ``__row`` (each record's row number in the file, as a spreadsheet shows
    it) and the columns ``c{j}`` not asked for as distinct values; ``coded`` maps the others'
    names ``c{j}`` to their :class:`~ability2.io.encoding.Distinct` values, in order of first
    appearance. Empty cells are ``""``, never null. ``longest`` is the bytes of the longest
    cell of ``texts``, measured while the texts were Arrow's (whose memory is handed back at
    once, where polars' allocator keeps its own for seconds). ``distinct`` names the columns
    asked about whose cells were all found different (a column not named may still be).
    """

    texts: pl.DataFrame
    coded: dict[str, Distinct]
    longest: int = 0
    distinct: frozenset[str] = frozenset()


def read_coded_csv(
    source: bytes | Callable[[], Any],
    *,
    delimiter: str,
    header: list[str],
    header_index: int,
    coded: Collection[int],
    unique: Collection[int] = (),
    quoted: bool = True,
    size: int | None = None,
) -> CodedCsv | None:
    """Parse ``source``, whose header row ``header`` is record ``header_index`` (from 0).

    ``source`` is the CSV's bytes, or a function opening a fresh binary stream of them
    (called twice: Arrow then reads a file block by block, never holding it whole). The
    columns at the positions ``coded`` come back as distinct values. ``None`` when Arrow
    reads the header row differently from ``header`` or cannot parse every row as
    ``len(header)`` fields. The text columns at the positions ``unique`` (ids) are checked
    for repeated cells where that is cheap (see :func:`all_different`). ``quoted=False``
    reads a double quote as any other character (a fifth faster): for a caller that knows
    the file has none, or drops the table when it finds one. ``size``, the bytes of the
    file when known, sets the block size (:func:`block_bytes`).
    """
    import numpy as np
    import polars as pl
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    from ability2.arrays import numpy_ints

    names = [f"c{j}" for j in range(len(header))]
    parse = pacsv.ParseOptions(
        delimiter=delimiter,
        quote_char='"' if quoted else False,
        newlines_in_values=quoted,
        ignore_empty_lines=False,
    )
    dictionary = pa.dictionary(pa.int32(), pa.string())
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    schema = pa.schema([(name, dictionary if j in coded else pa.string()) for j, name in enumerate(names)])
    if isinstance(source, bytes):
        size = len(source) if size is None else size
        data = pa.py_buffer(source)

        def stream() -> Any:
            return pa.BufferReader(data)

    else:
        stream = source
    try:
        # the header row as Arrow reads it must be the one the header search found
        head = pacsv.open_csv(
            stream(),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=header_index, block_size=_HEAD_BYTES, use_threads=False
            ),
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        ).read_next_batch()
        if head.num_rows == 0 or [head.column(j)[0].as_py() for j in range(len(names))] != header:
            return None
        # block by block: the whole-file reader holds every block's parse at once, more than
        # twice the memory. A block's repeated columns are dictionary-encoded on a second
        # thread while the next block is parsed (Arrow's own conversion to dictionaries runs
        # on the reading thread and doubles its time); at most two blocks wait as texts.
        reader = pacsv.open_csv(
            stream(),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=header_index + 1, block_size=block_bytes(size)
            ),
            parse_options=parse,
            convert_options=convert,
        )

        def encoded(batch: Any) -> Any:
            columns = [pc.dictionary_encode(column) if j in coded else column for j, column in enumerate(batch.columns)]
            return pa.RecordBatch.from_arrays(columns, schema=schema)

        from concurrent.futures import Future, ThreadPoolExecutor

        done: list[Any] = []
        waiting: list[Future[Any]] = []
        with ThreadPoolExecutor(1, thread_name_prefix="ability2-csv") as pool:
            for batch in reader:
                waiting.append(pool.submit(encoded, batch))
                del batch
                while len(waiting) > 2:
                    done.append(waiting.pop(0).result())
            done += [future.result() for future in waiting]
        table = pa.Table.from_batches(done, schema=schema)
        del done, waiting
        # the blocks' parse is freed: hand its pages back before polars and numpy allocate theirs
        pa.default_memory_pool().release_unused()
    except (pa.ArrowInvalid, OSError, StopIteration):  # ragged rows, an unterminated quote, not UTF-8, unreadable
        return None
    try:  # joining a text column past 2 GiB (Arrow's offsets) fails: the other parsers take over
        first_row = header_index + 2  # the header row's number is header_index + 1
        # numpy's memory (polars takes the array as it is): the roster keeps it as its row numbers
        columns: dict[str, Any] = {"__row": pl.Series("__row", np.arange(first_row, first_row + table.num_rows))}
        distinct: dict[str, Distinct] = {}
        longest = 0
        different: set[str] = set()
        for j, name in enumerate(names):
            column = table.column(name)
            if pa.types.is_dictionary(column.type):
                if column.num_chunks == 0:
                    distinct[name] = _no_rows()
                else:
                    # each block has its own dictionary: unified in block order, they keep the order
                    # of first appearance over the whole file
                    joined = column.unify_dictionaries().combine_chunks()
                    distinct[name] = Distinct(
                        pl.Series("v", joined.dictionary, dtype=pl.String), numpy_ints(joined.indices)
                    )
            else:
                # one chunk before polars takes it: polars would join the chunks in its own memory
                texts = column.combine_chunks()
                longest = max(longest, pc.max(pc.binary_length(texts)).as_py() or 0)
                if j in unique and all_different(texts):
                    different.add(name)
                columns[name] = pl.Series(name, texts, dtype=pl.String)
                del texts
            table = table.drop_columns([name])  # each column's Arrow buffers freed as it is taken
    except pa.ArrowInvalid:
        return None
    parsed = CodedCsv(pl.DataFrame(columns), distinct, longest, frozenset(different))
    del table, column
    # the parse's blocks are freed; Arrow's allocator keeps freed pages for reuse, which no
    # later step makes (the rest of the reading and the evaluation work in numpy and polars)
    pa.default_memory_pool().release_unused()
    return parsed


def all_different(texts: Any) -> bool:
    """Whether every text of an Arrow ``string`` array is different, when that is cheap to tell.

    Texts of one length up to 16 bytes (ids as schools write them: ``T0000001``) are read as
    one or two big-endian 64-bit words, which compare as the texts do: in increasing order
    (as registers are often kept), they are all different. Else texts up to 8 bytes are
    sorted as their words (exact), longer ones hashed and sorted (0.05 s for a million).
    ``False`` means "not shown": texts of several lengths or longer, nulls, or two equal
    hashes (the caller then checks exactly).
    """
    import numpy as np
    import pyarrow as pa

    if texts.null_count or len(texts) < 2 or texts.type != pa.string():
        return False
    bounds = np.frombuffer(texts.buffers()[1], dtype=np.int32)[texts.offset : texts.offset + len(texts) + 1]
    width = int(bounds[1] - bounds[0])
    if width > 16 or not (np.diff(bounds) == width).all():
        return False
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8)[bounds[0] : bounds[-1]].reshape(len(texts), width)
    if width <= 8:
        if width < 8:
            padded = np.zeros((len(texts), 8), dtype=np.uint8)
            padded[:, :width] = data
            data = padded
        word = data.view(">u8").ravel()  # the text itself: no copy for 8-byte ids
        if bool((word[1:] > word[:-1]).all()):
            return True
        ordered = np.sort(word)
        return not bool((ordered[1:] == ordered[:-1]).any())
    words = np.zeros((len(texts), 16), dtype=np.uint8)
    words[:, :width] = data
    high, low = words.view(">u8")[:, 0], words.view(">u8")[:, 1]
    if bool(((high[1:] > high[:-1]) | ((high[1:] == high[:-1]) & (low[1:] > low[:-1]))).all()):
        return True
    pairs = words.view(np.uint64)  # two words per text
    hashed = pairs[:, 0] * np.uint64(0x9E3779B97F4A7C15) ^ pairs[:, 1]
    hashed.sort()
    return not bool((hashed[1:] == hashed[:-1]).any())


def _no_rows() -> Distinct:
    import numpy as np
    import polars as pl

    return Distinct(pl.Series("v", [], dtype=pl.String), np.zeros(0, dtype=np.int32))
