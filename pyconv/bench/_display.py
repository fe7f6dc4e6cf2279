"""Text output: aligned tables, and a progress bar on a terminal only."""

import sys


def on_terminal(stream):
    """Whether `stream` is a terminal (a progress display belongs there only)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def progress(items, enabled, desc="pyconv benchmark"):
    """The items (each with a ``name``), with a progress bar on stderr when
    `enabled` and stderr is a terminal: never in a log, a pipe or CI's output.
    Without tqdm, one line per item instead of a bar."""
    try:
        from tqdm import tqdm
    except ImportError:
        shown = enabled and on_terminal(sys.stderr)
        if shown:
            print("(pip install tqdm for a progress bar)", file=sys.stderr)
        for i, item in enumerate(items, 1):
            if shown:
                print(f"[{i}/{len(items)}] {item.name}", file=sys.stderr, flush=True)
            yield item
        return
    # disable=None: tqdm shows the bar only when its stream is a terminal.
    yield from tqdm(items, desc=desc, unit="case", file=sys.stderr,
                    disable=None if enabled else True)


def seconds_text(seconds):
    """A time in microseconds below a millisecond, else in milliseconds."""
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def text_table(header, rows, left=1):
    """`rows` (tuples of strings) under `header` in aligned columns, the
    first `left` columns left-aligned and the others right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(cell.ljust(widths[i]) if i < left else cell.rjust(widths[i])
                         for i, cell in enumerate(cells)).rstrip()

    return "\n".join([line(header), line(["-" * width for width in widths])]
                     + [line(row) for row in rows])
