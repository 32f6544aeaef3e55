"""Several small non-negative counts packed into one BIGINT (or named fields of any widths into one HUGEINT),
as SQL text.

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


# Named fields of different widths in one HUGEINT: a layout is ((name, width), ...) from bit 0 up, 127 bits at
# most (the sign bit stays clear; a sum overflowing the top field is then an error, not a wrong value).

def layout_offsets(layout: tuple[tuple[str, int], ...]) -> dict[str, tuple[int, int]]:
    """name -> (first bit, width)."""
    out, at = {}, 0
    for name, width in layout:
        out[name] = (at, width)
        at += width
    if at > 127:
        raise ValueError(f"layout of {at} bits does not fit a HUGEINT: {layout}")
    return out


def packed_hugeint(layout: tuple[tuple[str, int], ...], values: dict[str, str]) -> str:
    """values[name] in each field, in Horner form v0 + 2**w0 * (v1 + 2**w1 * (... vN::HUGEINT)): every step is
    HUGEINT arithmetic, two operators per field. The values must be integers (a DECIMAL one cast to HUGEINT by
    the caller: left a DECIMAL, the sum would be a DECIMAL too and its fields unreadable - an error)."""
    layout_offsets(layout)
    (*low, (top, _)) = layout
    text = f"({values[top]})::HUGEINT"
    for name, width in reversed(low):
        text = f"{values[name]} + {1 << width} * ({text})"
    return text


def hugeint_field(x: str, layout: tuple[tuple[str, int], ...], name: str) -> str:
    """Field `name` of a packed HUGEINT x (the top field needs no mask)."""
    at, width = layout_offsets(layout)[name]
    shifted = x if at == 0 else f"({x} >> {at})"
    return shifted if name == layout[-1][0] else f"({shifted} & {(1 << width) - 1})"
