"""The on-disk vector cache, keyed by a hash of the model settings and the text.

The key (`vector_key`) and the table layout are the cache's format: a cache filled before
stays valid as long as neither changes.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

__all__ = ["EmbeddingCache", "vector_key"]


def vector_key(model_id: str, backend_key: str, max_seq_length: int, text: str) -> bytes:
    """sha1 of model id, backend (with the int8 preset), max_seq_length and the text."""
    h = hashlib.sha1()
    h.update(f"{model_id}\x00{backend_key}\x00{max_seq_length}\x00".encode())
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.digest()


class EmbeddingCache:
    """Vectors on disk keyed by a 20-byte content hash, in one SQLite file.

    WAL mode lets any number of processes (RQ workers) read while one writes;
    writers wait on each other (busy timeout) and `INSERT OR IGNORE` makes a
    race on the same key harmless, since equal keys mean equal vectors. A
    connection is opened lazily per process, so the object survives fork().
    """

    def __init__(self, path: str | Path, dims: int | None = None, timeout: float = 60.0):
        self.path = Path(path)
        self.dims = dims
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._chunk = 900
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MiB of pages per connection
        # A rowid table: 1.5 KB rows would bloat a WITHOUT ROWID b-tree (3x the
        # file size, 10x slower lookups); the key lives in its own small index.
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB NOT NULL UNIQUE, vec BLOB NOT NULL)")
        try:  # keys per SELECT ... IN (...): as many as this SQLite allows, up to 20k
            self._chunk = max(100, min(20000, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1))
        except AttributeError:  # Python < 3.11
            self._chunk = 900
        self._conn, self._pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def __len__(self) -> int:
        with self._lock:
            return self._connect().execute("SELECT count(*) FROM vectors").fetchone()[0]

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The cached vectors among `keys` (missing keys are simply absent)."""
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            conn = self._connect()
            for s in range(0, len(unique), self._chunk):
                part = unique[s : s + self._chunk]
                marks = ",".join("?" * len(part))
                for key, blob in conn.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part):
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if self.dims is None or vec.shape[0] == self.dims:
                        found[bytes(key)] = vec
        return found

    def put_many(self, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items]
        if not rows:
            return
        with self._lock:
            conn = self._connect()
            for attempt in range(5):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        conn.executemany("INSERT OR IGNORE INTO vectors (key, vec) VALUES (?, ?)", rows)
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    return
                except sqlite3.OperationalError as exc:  # "database is locked" past the busy timeout
                    if "locked" not in str(exc) or attempt == 4:
                        raise
                    time.sleep(0.5 * (attempt + 1))
