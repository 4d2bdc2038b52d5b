"""CPU-bound work on the other cores: an ordered, streaming map over worker processes.

Parsing and verifying device batches is pure Python and Ed25519 (docs/dmrv.md §3): one core
does ~2,300 day batches a second. :class:`ProcessPool` runs such a function on chunks in
worker processes while the calling process stores the results of earlier chunks, so an
import uses every core. It is deliberately small:

* workers are fresh interpreters (``python -m jcredit.adapters.process_pool``: not a fork of
  a process with threads and open database connections, and not a re-run of the caller's
  main module), started lazily on first use, stopped with the pool or when their parent's
  pipe closes;
* each worker reads length-prefixed pickled requests on stdin and answers in order on
  stdout (from a thread of its own, so neither side can block the other on a full pipe); the
  caller writes and reads the pipes itself, without the feeder threads of ``multiprocessing``
  that would compete for the GIL with its own work, and keeps at most ``ahead`` requests
  outstanding per worker;
* ``shared`` is an append-only list of ``(key, value)`` pairs the function may consult (for
  ingestion: key id → public key). Each worker is sent only what it has not seen yet.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from typing import IO
from typing import Any

log = logging.getLogger(__name__)

_FRAME = struct.Struct(">Q")


def default_processes() -> int:
    """One worker per core, at most four: the caller mostly waits on the workers or on I/O,
    so one more process than cores keeps every core busy (measured on 2 cores:
    docs/benchmarks.md)."""
    return max(0, min(4, os.cpu_count() or 1))


def _write(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> bytes:
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        raise EOFError("the other process ended")
    (size,) = _FRAME.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other process ended")
    return data


def _read(stream: IO[bytes]) -> Any:
    return pickle.loads(_read_frame(stream))


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """A worker's loop: ``(fn, chunk, shared delta)`` in, ``(ok, result)`` out. Answers are
    written by a thread of their own, so a large answer waiting for the caller to read it
    never stops this loop from reading the caller's next request (each side would otherwise
    wait on the other's full pipe)."""
    out: queue.Queue[bytes | None] = queue.Queue()

    def writer() -> None:
        while (data := out.get()) is not None:
            answers.write(_FRAME.pack(len(data)))
            answers.write(data)
            answers.flush()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    state: dict[Any, Any] = {}
    try:
        while True:
            try:
                data = _read_frame(requests)
            except EOFError:
                return
            try:
                fn, chunk, shared = pickle.loads(data)
                if fn is None:
                    return
                state.update(shared)
                result: tuple[bool, Any] = (True, fn(chunk, state))
            except Exception as exc:
                result = (False, exc)
            out.put(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        out.put(None)
        thread.join()


class _Worker:
    def __init__(self, preload: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jcredit.adapters.process_pool", *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.requests: IO[bytes] = self.process.stdin
        self.answers: IO[bytes] = self.process.stdout
        self.sent = 0  # how many of ``shared`` this worker has
        self.pending = 0

    def send(self, fn: Callable[..., Any], chunk: Any, shared: list[tuple[Any, Any]]) -> None:
        delta = shared[self.sent:]
        self.sent = len(shared)
        _write(self.requests, (fn, chunk, delta))
        self.pending += 1

    def receive(self) -> Any:
        ok, value = _read(self.answers)
        self.pending -= 1
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        try:
            _write(self.requests, (None, None, []))
            self.requests.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.answers.close()


class ProcessPool:
    """``imap(fn, chunks)``: ``fn(chunk, shared)`` in worker processes, results in order."""

    def __init__(self, processes: int, *, ahead: int = 2,
                 preload: Iterable[str] = ()) -> None:
        self.processes = processes
        self.ahead = ahead
        self.preload = list(preload)
        self._workers: list[_Worker] = []
        self._broken = False
        # one caller at a time: the pipes carry one conversation (a server's threads, an
        # MQTT worker and a request in the same process wait their turn)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.processes > 0 and not self._broken

    def start(self) -> list[_Worker]:
        """Start the workers now rather than on first use (a long-running worker does)."""
        if not self._workers and self.enabled:
            self._workers = [_Worker(self.preload) for _ in range(self.processes)]
        return self._workers

    def imap(self, fn: Callable[[Any, dict[Any, Any]], Any], chunks: Iterable[Any],
             shared: list[tuple[Any, Any]] | None = None) -> Iterator[Any]:
        """Each chunk's result, in the order of ``chunks``; ``shared`` may grow between
        results (the caller learns keys as it goes)."""
        table = shared if shared is not None else []
        order: deque[_Worker] = deque()  # the worker of each outstanding chunk, in order
        source = iter(chunks)
        with self._lock:
            yield from self._conversation(fn, source, table, order)

    def _conversation(self, fn: Callable[[Any, dict[Any, Any]], Any], source: Iterator[Any],
                      table: list[tuple[Any, Any]], order: deque[_Worker]) -> Iterator[Any]:
        exhausted = False
        turn = 0
        try:
            workers = self.start()
            while True:
                # keep every worker busy, at most ``ahead`` requests each
                while not exhausted and len(order) < self.ahead * len(workers):
                    try:
                        chunk = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    worker = workers[turn % len(workers)]
                    turn += 1
                    worker.send(fn, chunk, table)
                    order.append(worker)
                if not order:
                    return
                yield order.popleft().receive()
        except GeneratorExit:
            # the caller stopped reading: answers it will not read would desynchronise the
            # pipes, so read them now
            self._drain()
            raise
        except Exception:
            # a worker failed or ended: stop using the pool (the caller carries on alone)
            log.exception("a worker process failed; no more work is sent to the pool")
            self._broken = True
            self.close()
            raise

    def _drain(self) -> None:
        for worker in self._workers:
            try:
                while worker.pending:
                    worker.receive()
            except Exception:
                log.exception("a worker process failed; no more work is sent to the pool")
                self._broken = True
        if self._broken:
            self.close()

    def close(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()


def main(argv: list[str]) -> None:  # pragma: no cover - the worker process
    import importlib
    import signal

    # Ctrl-C reaches the whole process group: the caller decides, and this process ends when
    # the caller closes its pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in argv:  # what the functions need, imported before the first request
        importlib.import_module(name)
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
