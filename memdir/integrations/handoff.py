"""Handing a library hook's finished conversation to extraction."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..fsio import atomic_write
from ..model import MessageCreator, ModelBoundary, ModelConfig
from ..store.folder import MemoryDir

if TYPE_CHECKING:
    from ..extract import ExtractionQueue


def hand_off(
    store: MemoryDir,
    path: Path,
    payload: str,
    *,
    session_id: str,
    model: MessageCreator | None,
    config: ModelConfig | None,
    queue: ExtractionQueue | None,
) -> ExtractionQueue | None:
    """Write the conversation `payload` to `path`, then queue its extraction.

    Without `model` or `config` the run goes to the folder's daemon, else a detached process, so it
    outlives a short agent script. A model or config given to the hook exists only in this
    process: the run is then made on `queue`'s threads (made here when None), and the
    queue in use is returned for the hook to drain at close.
    """
    from ..extract import ExtractionQueue, ExtractionRequest, Extractor

    # Conversations are private: readable by the user only.
    atomic_write(path, payload, mode=0o600)
    if model is None and config is None:
        from ..daemon.client import queue_extraction

        queue_extraction(store.path, path, session_id=session_id, state_dir=store.state_path)
        return queue
    # A separate store: the extractor's own writes must not count as the agent's.
    own = MemoryDir(store.path, state=store.state_path)
    client = model or ModelBoundary(config or ModelConfig.from_env(), state_dir=own.state_path)
    queue = queue or ExtractionQueue()
    request = ExtractionRequest(path, session_id, time.time())
    queue.submit(own, request, extractor=Extractor(own, client=client))
    return queue
