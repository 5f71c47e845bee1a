"""History of a memory folder: every change one recorded, attributed, undoable operation."""

from .history import History, Recording
from .reading import parse_when
from .records import ACTOR_KINDS, Actor, Operation

__all__ = ["ACTOR_KINDS", "Actor", "History", "Operation", "Recording", "parse_when"]
