"""The offline selector's tuning knobs (`SelectorConfig`), kept apart from the selector.

Trigger: the recall fast path reads the knobs on every prompt. Why: a dataclass would
import `dataclasses` (and `inspect` behind it), several milliseconds of a hook's start-up.
Outcome: a small immutable class with the same constructor, equality and repr.
"""

from __future__ import annotations

__all__ = ["SelectorConfig"]

_FIELDS = (
    "field_weights",
    "field_b",
    "typical_lengths",
    "k1",
    "stemming",
    "stop_words",
    "related_weight",
    "prefix_weight",
    "suffix_weight",
    "compounds",
    "background",
    "min_score",
    "min_score_single",
    "relative_cutoff",
    "lone_floor",
    "lone_share",
)


class SelectorConfig:
    """Tuning knobs; the defaults are the evaluated ones. Immutable.

    Per-field tuples are ordered (description, name, filename stem, body snippet).
    `typical_lengths` are field lengths in terms for an ordinary memory file.
    Any knob may be given by keyword: ``SelectorConfig(lone_floor=0.8)``.
    """

    __slots__ = _FIELDS

    field_weights: tuple[float, float, float, float]
    field_b: tuple[float, float, float, float]
    typical_lengths: tuple[float, float, float, float]
    k1: float
    stemming: bool
    stop_words: bool
    related_weight: float
    prefix_weight: float
    suffix_weight: float
    compounds: bool
    background: int
    min_score: float
    min_score_single: float
    relative_cutoff: float
    lone_floor: float
    lone_share: float

    def __init__(
        self,
        *,
        field_weights: tuple[float, float, float, float] = (3.0, 2.0, 1.5, 1.0),
        field_b: tuple[float, float, float, float] = (0.5, 0.5, 0.3, 0.75),
        typical_lengths: tuple[float, float, float, float] = (12.0, 4.0, 3.0, 40.0),
        k1: float = 1.2,
        stemming: bool = True,
        stop_words: bool = True,
        related_weight: float = 0.5,
        prefix_weight: float = 0.4,
        suffix_weight: float = 0.4,
        compounds: bool = True,
        background: int = 50,
        min_score: float = 0.55,
        min_score_single: float = 0.9,
        relative_cutoff: float = 0.75,
        lone_floor: float = 0.55,
        lone_share: float = 0.8,
    ) -> None:
        values = locals()
        for name in _FIELDS:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SelectorConfig is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"SelectorConfig is immutable: cannot delete {name!r}")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SelectorConfig):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        # The same text a dataclass would print; caches are keyed by it.
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS)
        return f"SelectorConfig({inner})"
