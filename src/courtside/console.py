"""An injected console: Rich in the terminal, silent in the library, captured in tests."""

from __future__ import annotations

from typing import Any, Protocol


class Console(Protocol):
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def table(self, title: str, columns: list[str], rows: list[list[Any]]) -> None: ...
    def progress(self, total: int, description: str) -> "Progress": ...


class Progress(Protocol):
    def advance(self, n: int = 1, description: str | None = None) -> None: ...
    def close(self) -> None: ...


class _NullProgress:
    def advance(self, n: int = 1, description: str | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class NullConsole:
    def info(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def table(self, title: str, columns: list[str], rows: list[list[Any]]) -> None:
        pass

    def progress(self, total: int, description: str) -> _NullProgress:
        return _NullProgress()


class CaptureConsole(NullConsole):
    """Keeps every message, for tests that assert on what a user would see."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append("WARN " + message)

    def table(self, title: str, columns: list[str], rows: list[list[Any]]) -> None:
        self.lines.append(title)
        self.lines.extend(" | ".join(str(c) for c in row) for row in rows)


class RichConsole:
    def __init__(self, stderr: bool = False) -> None:
        from rich.console import Console as _Rich

        import sys

        stream = sys.stderr if stderr else sys.stdout
        self._c = _Rich(stderr=stderr, width=None if stream.isatty() else 160)

    def info(self, message: str) -> None:
        self._c.print(message)

    def warn(self, message: str) -> None:
        self._c.print(f"[yellow]{message}[/yellow]")

    def table(self, title: str, columns: list[str], rows: list[list[Any]]) -> None:
        from rich.table import Table

        t = Table(title=title)
        for c in columns:
            t.add_column(str(c))
        for row in rows:
            t.add_row(*("" if v is None else str(v) for v in row))
        self._c.print(t)

    def progress(self, total: int, description: str) -> "_RichProgress":
        return _RichProgress(self._c, total, description)


class _RichProgress:
    def __init__(self, console, total: int, description: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                           transient=False)
        self._p.start()
        self._task = self._p.add_task(description, total=total)

    def advance(self, n: int = 1, description: str | None = None) -> None:
        if description:
            self._p.update(self._task, description=description)
        self._p.advance(self._task, n)

    def close(self) -> None:
        self._p.stop()
