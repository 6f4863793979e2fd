"""Where converted models and trained judges are kept: $SVG_AGENT_CACHE, else ~/.cache/svg-agent."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache folder: $SVG_AGENT_CACHE, else ~/.cache/svg-agent."""
    return Path(os.environ.get("SVG_AGENT_CACHE") or Path.home() / ".cache" / "svg-agent")
