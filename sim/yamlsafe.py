"""A YAML reader for files users write: scenarios, format presets, experiment files.

``yaml.safe_load`` refuses to run code but still lets a small file do damage or mislead:
an alias bomb ("billion laughs") or deep nesting makes every later step that walks the
data hang or hit the recursion limit, a recursive alias never ends, a duplicated key
silently loses one of its values, ``.nan``/``.inf`` pass as numbers, and tags such as
``!!binary`` or ``!!set`` build objects no one expects. :func:`load_yaml` refuses all of
these with an :class:`~sim.errors.InputError` naming the file, the line and column, and
what is allowed.

It reads in two passes with libyaml (when PyYAML has it; pure Python otherwise): first
the event stream alone, which is flat, fast and cannot recurse, to check tags, nesting
depth and the number of values the document expands to (an alias counts as often as it
is used); then, only if that passed, the document itself, checking duplicate keys and
non-finite numbers as it is built.
"""

from __future__ import annotations

import math
import os

import yaml
from yaml.events import (AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent, ScalarEvent)
from yaml.nodes import MappingNode

from sim.errors import InputError
from sim.userfiles import read_text

MAX_BYTES = 5_000_000
MAX_VALUES = 100_000   # values the document expands to, aliases included
MAX_DEPTH = 50         # nesting of mappings and lists

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Refused(Exception):
    def __init__(self, mark, message):
        self.mark, self.message = mark, message


class _Loader(_Base):
    """Safe loader that refuses duplicate keys and non-finite numbers."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<: *defaults' may be overridden by the mapping's own keys
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:
                    raise _Refused(key_node.start_mark, "a key must be a plain value, not a list or mapping") from None
                if first is not key_node.start_mark:
                    raise _Refused(key_node.start_mark, f"duplicate key {key!r} (first on line {first.line + 1}); "
                                                        "each key may appear once")
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise _Refused(node.start_mark, f"{node.value!r} is not a finite number; NaN and infinities are "
                                            "not allowed")
        return value


_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def _check_events(text: str) -> None:
    """Tags, depth and expanded size, from the event stream (no tree is built)."""
    loader = _Loader(text)
    try:
        values = 0                          # values so far, aliases expanded
        open_: list[tuple[str, int]] = []   # open collections: (anchor, values before it)
        size: dict[str, int] = {}           # anchor -> values it expands to
        while loader.check_event():
            ev = loader.get_event()
            if isinstance(ev, NodeEvent) and not isinstance(ev, AliasEvent) and ev.tag not in (None, "!"):
                raise _Refused(ev.start_mark, f"tag {ev.tag!r} is not allowed; write plain values, lists and "
                                              "mappings")
            if isinstance(ev, AliasEvent):
                if any(anchor == ev.anchor for anchor, _ in open_):
                    raise _Refused(ev.start_mark, f"alias *{ev.anchor} refers to a value that contains it "
                                                  "(a recursive alias)")
                values += size.get(ev.anchor, 1)
            elif isinstance(ev, ScalarEvent):
                values += 1
                if ev.anchor:
                    size[ev.anchor] = 1
            elif isinstance(ev, CollectionStartEvent):
                open_.append((ev.anchor, values))
                values += 1
                if len(open_) > MAX_DEPTH:
                    raise _Refused(ev.start_mark, f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(ev, CollectionEndEvent):
                anchor, before = open_.pop()
                if anchor:
                    size[anchor] = values - before
            if values > MAX_VALUES:
                raise _Refused(ev.start_mark, f"expands to more than {MAX_VALUES:,} values (an alias counts as "
                                              "often as it is used)")
    finally:
        loader.dispose()


def parse_yaml(text: str, where: str):
    """Parse YAML ``text``; ``where`` names its source in errors."""
    try:
        _check_events(text)
        loader = _Loader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except _Refused as e:
        raise InputError(where, _at(e.mark), e.message) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        problem, context = getattr(e, "problem", None), getattr(e, "context", None)
        text = f"{problem} ({context})" if problem and context else problem or str(e)
        raise InputError(where, _at(mark), f"not valid YAML: {text}") from None
    except RecursionError:  # pure-Python fallback only; the depth check makes this unreachable with libyaml
        raise InputError(where, "(top level)", f"nested too deeply (more than {MAX_DEPTH} levels)") from None


def load_yaml(path: str | os.PathLike, what: str = "YAML file"):
    """The data in the YAML file ``path``, or an InputError naming the file, line and column.

    ``what`` names the kind of file for messages ("scenario file", "experiment file").
    """
    return parse_yaml(read_text(path, what, MAX_BYTES), str(path))


def _at(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(unknown position)"
