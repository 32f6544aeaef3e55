"""Several small non-negative counts packed into one BIGINT, as SQL text.

One aggregate over a packed value sums every field at once (DuckDB pays per aggregate, not per
addition), and the fields are read back with shifts and masks. Safe only while no field's sum can
reach 2**width: callers say why theirs cannot.
"""

from __future__ import annotations


def unit(i: int, width: int = 16) -> str:
    """The value 1 in field i."""
    return str(1 << (width * i))


def packed(values: list[str], width: int = 16) -> str:
    """values[0] in field 0, values[1] in field 1, ...: their weighted sum."""
    return " + ".join(v if i == 0 else f"{unit(i, width)} * {v}" for i, v in enumerate(values))


def field(x: str, i: int, width: int = 16, *, top: bool = False) -> str:
    """Field i of a packed value x; the top field needs no mask."""
    shifted = x if i == 0 else f"{x} >> {width * i}"
    if top:
        return shifted
    mask = (1 << width) - 1
    return f"{shifted} & {mask}" if i == 0 else f"({shifted}) & {mask}"
