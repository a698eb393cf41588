"""The project's one error type for problems with the user's input.

Every entry point (CLI commands, ``sim.run``, scenario and data loading, experiment
files, result directories) turns a problem with what the user gave it into an
:class:`InputError` that names the file (or "overrides"), the field and what is
allowed. The CLI prints it and exits with code 2; anything else that escapes is an
internal defect and keeps its traceback so that it gets fixed.
"""

from __future__ import annotations


class InputError(ValueError):
    """Something the user gave us is wrong; ``str(err)`` is the message to show.

    ``where`` names the file (or "overrides", "--out", ...), ``field`` the key, column
    or option, and ``message`` what is wrong and what is allowed.
    """

    def __init__(self, where: str, field: str, message: str):
        self.where, self.field, self.message = where, field, message
        super().__init__(f"{where}: {field}: {message}")


def shown(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages (a value may be a 10 MB string)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def shown_name(name: str, limit: int = 80) -> str:
    """A name for a message's field: as it is, or ``shown`` when it is longer than ``limit``."""
    return name if len(name) <= limit else shown(name, limit)
