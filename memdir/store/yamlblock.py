"""Loading a frontmatter block with YAML, safely: bounded, no aliases, no exceptions out.

A memory folder may hold files written by anyone (a teammate, a git pull, an attacker), so
the YAML loader is treated as hostile territory:

- Anchors and aliases are refused before anything is built: nine nested anchors of ten
  aliases each expand a few lines into 10^9 items (a "billion laughs" file) that the
  constructor, ``str()`` or ``repr()`` would then try to build.
- Nesting deeper than `MAX_DEPTH` is refused (Python's recursion limit otherwise turns a
  3,000-deep list into a ``RecursionError``), and so are blocks of more than `MAX_EVENTS`
  parser events.
- An impossible date (``2026-02-29``, ``0000-00-00``) stays the text it was instead of
  making PyYAML's timestamp constructor raise ``ValueError``.
- Any other exception the loader raises becomes the reason the block is unusable: one bad
  file is a problem of that file, never of the folder.
"""

from __future__ import annotations

from functools import cache
from typing import Any

#: Mappings and lists nested deeper than this are not frontmatter.
MAX_DEPTH = 32
#: Parser events (scalars, starts and ends of collections) in one block.
MAX_EVENTS = 20_000


class YamlBlockError(Exception):
    """Why a frontmatter block cannot be loaded; `line` is 0-based within the block."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@cache
def _loader() -> Any:
    """A safe loader class whose timestamps never raise (built once, on first use)."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):  # type: ignore[misc,valid-type]
        pass

    def timestamp(loader: Any, node: Any) -> Any:
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
        except (ValueError, OverflowError, TypeError):
            # Trigger: "updated: 2026-02-29" (a model writing "today" can produce it).
            # Why: the stock constructor raises ValueError, which used to stop every
            # command. Outcome: keep the text; the date checks report it as not a date.
            return str(node.value)

    _Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    return _Loader


def _precheck(yaml: Any, text: str) -> None:
    """Walk the parser events only (cheap, nothing is built) and refuse what is unsafe."""
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=_loader()), start=1):
        line = event.start_mark.line if event.start_mark is not None else None
        if getattr(event, "anchor", None) is not None and not isinstance(event, yaml.AliasEvent):
            raise YamlBlockError(
                "frontmatter defines a YAML anchor (&), which memdir refuses: aliases can "
                "expand a few lines into billions of values; write each value out",
                line,
            )
        if isinstance(event, yaml.AliasEvent):
            # No anchor was defined (that is refused above), so YAML itself would reject
            # it; "*bold* words" in a hand-written description is the usual cause.
            raise YamlBlockError("frontmatter is not valid YAML (an unquoted *)", line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlBlockError(f"frontmatter is nested over {MAX_DEPTH} levels deep", line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if count > MAX_EVENTS:
            raise YamlBlockError(f"frontmatter holds over {MAX_EVENTS:,} values", line)


def load_block(text: str) -> Any:
    """The YAML value of a frontmatter block.

    Raises:
        YamlBlockError: the block is not valid YAML, or is refused (aliases, depth, size),
            or the loader failed in any other way; the reason says which.
    """
    import yaml

    try:
        _precheck(yaml, text)
        return yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except YamlBlockError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlBlockError("frontmatter is not valid YAML", mark.line if mark else None) from exc
    except RecursionError as exc:
        raise YamlBlockError("frontmatter is nested too deeply") from exc
    except MemoryError as exc:
        raise YamlBlockError("frontmatter is too large to load") from exc
    except Exception as exc:  # noqa: BLE001 - any loader failure is this file's problem
        raise YamlBlockError(f"frontmatter cannot be loaded ({type(exc).__name__})") from exc


def describe(value: object, *, limit: int = 60) -> str:
    """A short, safe rendering of a frontmatter value for a message.

    Collections are never stringified (they may be huge): only their type and length.
    """
    if isinstance(value, dict | list | tuple | set):
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
