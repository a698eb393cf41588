"""Reading a file the user named, with every way it can go wrong turned into an InputError.

A scenario, a data table or an experiment file may be missing, a directory, a FIFO or a
device (reading either would block or never end), unreadable, far too large, binary, or
have a name the operating system refuses. Each case gets a one-line message naming the
file instead of an ``OSError`` traceback or a hang.
"""

from __future__ import annotations

import os
import stat

from sim.errors import InputError

MAX_BYTES = 20_000_000  # far above any scenario or data table we know of (nederland's CSV is 20 kB)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_text(path: str | os.PathLike, what: str = "file", max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of ``path``, or an InputError whose ``where`` is the path.

    ``what`` says what the file should be ("scenario file", "data file"), for the message.
    """
    where = str(path)
    try:
        info = os.stat(path)  # stat first: opening a FIFO would block until a writer comes
    except FileNotFoundError:
        raise InputError(where, what, "does not exist") from None
    except NotADirectoryError:
        raise InputError(where, what, "does not exist (a part of the path is a file, not a directory)") from None
    except PermissionError:
        raise InputError(where, what, "cannot be read (permission denied)") from None
    except (OSError, ValueError) as e:  # name too long, embedded NUL byte, too many symlinks, ...
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise InputError(where, what, f"cannot be opened ({reason})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(where, what, f"is {_kind(info.st_mode)}; expected a {what}")
    if info.st_size > max_bytes:
        raise InputError(where, what, f"is {info.st_size:,} bytes; a {what} may be at most {max_bytes:,} bytes")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except PermissionError:
        raise InputError(where, what, "cannot be read (permission denied)") from None
    except OSError as e:
        raise InputError(where, what, f"cannot be read ({e.strerror or e})") from None
    if len(raw) > max_bytes:  # grew while we looked
        raise InputError(where, what, f"is larger than {max_bytes:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise InputError(where, what, f"is not UTF-8 text (byte {e.start} on line {line}); "
                                      "save it as UTF-8") from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise InputError(where, what, f"contains a NUL byte on line {line}; is it a binary file?")
    return text.removeprefix("\ufeff")  # a byte-order mark some editors write

