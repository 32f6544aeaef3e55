"""Leases per (model, game date): a run claims the dates of a batch before building them.

A lease is free when it has expired or when its holder process is gone (same host, dead pid), so a
run killed with SIGKILL never blocks the next one for long. DuckDB's file lock already serialises
processes on one warehouse; leases also protect threads of one run and engines without that lock.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time

from courtside.errors import LeaseHeld


def holder_for(run_id: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{run_id}"


def holder_alive(holder: str) -> bool:
    """False only when we can prove the holder's process is gone (same host, no such live pid)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # cannot check another host: rely on expiry
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped is a zombie: dead for our purpose
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def acquire(engine, model: str, dates: list[dt.date], holder: str, seconds: float, wait: float = 0.0) -> None:
    """Claim every date of a batch atomically, or raise LeaseHeld naming the live holder."""
    deadline = time.monotonic() + wait
    while True:
        held = _try_acquire(engine, model, list(dates), holder, seconds)
        if held is None:
            return
        if time.monotonic() >= deadline:
            other, first, last, n, expires = held
            raise LeaseHeld(f"{n} partition(s) of `{model}` ({first} .. {last}) are leased by {other} until "
                            f"{expires:%Y-%m-%d %H:%M:%S}; another backfill is writing them. Nothing of this "
                            "batch was written; rerun when it has finished (or pass --lease-wait SECONDS).")
        time.sleep(0.25)


def _try_acquire(engine, model, dates, holder, seconds):
    """None when claimed; else (holder, first, last, n, expires) of a live other holder."""
    con = engine.con
    con.execute("BEGIN TRANSACTION")
    try:
        rows = con.execute(
            "SELECT holder, min(game_date), max(game_date), count(*), max(expires_at) FROM ledger.leases "
            "WHERE model = ? AND list_contains(?::DATE[], game_date) AND holder <> ? "
            "AND expires_at > now()::TIMESTAMP GROUP BY holder ORDER BY holder",
            [model, dates, holder]).fetchall()
        live = [r for r in rows if holder_alive(r[0])]
        if live:
            con.execute("ROLLBACK")
            return live[0]
        # Expired leases and leases of dead holders are free: take them over.
        con.execute("DELETE FROM ledger.leases WHERE model = ? AND list_contains(?::DATE[], game_date)",
                    [model, dates])
        con.execute("INSERT INTO ledger.leases SELECT ?, unnest(?::DATE[]), ?, now()::TIMESTAMP + to_seconds(?)",
                    [model, dates, holder, float(seconds)])
        con.execute("COMMIT")
        return None
    except Exception as exc:
        try:
            con.execute("ROLLBACK")
        except Exception:  # the failed COMMIT already ended the transaction
            pass
        # A concurrent claim of the same rows: the other transaction won; report it as held.
        if "conflict" in str(exc).lower() or "constraint" in str(exc).lower():
            return ("a concurrent claim", min(dates), max(dates), len(dates), dt.datetime.now())
        raise


def release(engine, model: str, dates: list[dt.date], holder: str) -> None:
    engine.execute("DELETE FROM ledger.leases WHERE model = ? AND holder = ? AND list_contains(?::DATE[], game_date)",
                   [model, holder, list(dates)])


def release_all(engine, holder: str) -> None:
    engine.execute("DELETE FROM ledger.leases WHERE holder = ?", [holder])
