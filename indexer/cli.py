"""CLI commands of the indexer."""
from __future__ import annotations


def index_commands() -> list:
    return []
