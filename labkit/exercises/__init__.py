"""Each workbook chapter's exercises, one module per chapter.

A chapter module defines ``exercises() -> list[Exercise]``; the expected answers are computed
from labkit's formulas at check time, never stored as literals next to the hints.
"""

from __future__ import annotations

from importlib import import_module


def _chapter(module: str):
    def load():
        return import_module(f".{module}", __name__).exercises()
    return load


CHAPTERS = {
    "01_monolith": _chapter("monolith"),
    "02_microservices": _chapter("microservices"),
    "03_scale_and_overload": _chapter("overload"),
    "04_cells": _chapter("cells"),
    "05_fallback_and_breakers": _chapter("breakers"),
    "06_ring_at_halloween": _chapter("ring"),
    "07_game_day": _chapter("game_day"),
}
