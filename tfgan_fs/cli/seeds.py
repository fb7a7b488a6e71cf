"""Parsing of non-negative integer lists such as `--seeds=0-7,12`."""


def parse_int_ranges(text):
    """'0-3,7,10-11' -> [0, 1, 2, 3, 7, 10, 11]. Raises ValueError on malformed input."""
    values = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            lo, _, hi = part.partition("-")
            lo, hi = int(lo), int(hi) if hi else int(lo)
            if lo < 0 or hi < lo:
                raise ValueError
        except ValueError:
            raise ValueError(f"cannot parse {part!r}: expected N or N-M with 0 <= N <= M") from None
        values.extend(range(lo, hi + 1))
    if not values:
        raise ValueError(f"no values in {text!r}")
    return values
