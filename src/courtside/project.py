"""The facade: a warehouse (engine + ledger), the registry of models, the data folder and a console."""

from __future__ import annotations

from pathlib import Path

from courtside.config import data_dir, warehouse_path
from courtside.console import Console, NullConsole
from courtside.engine import Engine
from courtside.identity import PLAYER_LOOKUP_MACRO
from courtside.ledger import create_ledger
from courtside.models.registry import Registry, load_registry
from courtside.sources.schema import create_raw_layer


class Project:
    def __init__(self, warehouse: str | Path | None = None, data: str | Path | None = None,
                 console: Console | None = None, *, wait_seconds: float = 0.0,
                 registry: Registry | None = None):
        self.warehouse = warehouse_path(warehouse)
        self.data_dir = data_dir(data)
        self.console = console or NullConsole()
        self.engine = Engine(self.warehouse, wait_seconds=wait_seconds)
        setup_warehouse(self.engine)
        self._registry = registry

    @property
    def registry(self) -> Registry:
        # Loaded on first use: `data load` needs no models, and the registry imports the ML stack.
        if self._registry is None:
            self._registry = load_registry()
        return self._registry

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def setup_warehouse(engine: Engine) -> None:
    """Schemas, raw tables, the calendar view, the ledger and the SQL macros; idempotent."""
    engine.execute(PLAYER_LOOKUP_MACRO)
    create_raw_layer(engine)
    create_ledger(engine)
