"""Blocking work run off the event loop, so that it can be abandoned: on Escape, or on quit.

Reads of the user's project (tool calls, `@path` attachments) run in daemon threads: a read that
never returns (a hung network mount, say) must not keep the app from exiting, and threads of
asyncio's default executor do (they are joined when the loop closes and again at exit). They
only read, so abandoning one loses nothing. A call that starts child processes (the search
engines) starts them through a `Cancel`, so that cancelling the awaiting task kills them.

For everything else run in threads, `DaemonExecutor` replaces the event loop's default
executor, and `exit_guard` ends a process whose exit is stuck all the same.
Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import faulthandler
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class Cancelled(Exception):
    """Raised in the thread when it tries to start a child after its call was cancelled."""


class Cancel:
    """The child processes one blocking call has started, and a way to kill them all.

    The thread starts children with `popen`; the task awaiting the call calls `cancel()` when
    it is cancelled, which kills them, so the thread's wait for them returns at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._children: list[subprocess.Popen[bytes]] = []
        self.cancelled = False
        """True once `cancel()` was called; the call's result is no longer wanted."""

    @property
    def children(self) -> list[subprocess.Popen[bytes]]:
        """The children started so far that have not been released."""
        with self._lock:
            return list(self._children)

    def popen(self, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """Start a child (as `subprocess.Popen`) that `cancel()` will kill; Cancelled if late."""
        with self._lock:  # so cancel() cannot run between the check and the registration
            if self.cancelled:
                raise Cancelled
            process: subprocess.Popen[bytes] = subprocess.Popen(args, **kwargs)
            self._children.append(process)
        return process

    def release(self, process: subprocess.Popen[bytes]) -> None:
        """Forget a child that has ended and been waited for."""
        with self._lock:
            if process in self._children:
                self._children.remove(process)

    def cancel(self) -> None:
        """Kill every child started so far, and refuse to start more."""
        with self._lock:
            self.cancelled = True
            children = list(self._children)
        for process in children:
            process.kill()  # a child that has already ended is left alone by Popen


async def in_daemon_thread(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)` run in a new daemon thread; its result or exception.

    Like `asyncio.to_thread`, but a call that never returns does not keep the process alive,
    and cancelling the awaiting task returns at once (the thread's late result is dropped).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def work() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = context.run(function, *args, **kwargs)
        except BaseException as raised:  # handed to the awaiting task, which re-raises it
            error = raised
        # RuntimeError: the loop has closed (the app quit), so nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, future, result, error)

    name = getattr(function, "__name__", "call")
    threading.Thread(target=work, name=f"workbench-{name}", daemon=True).start()
    return await future


def _settle(future: asyncio.Future[T], result: T | None, error: BaseException | None) -> None:
    """Hand a thread's outcome to the awaiting task, unless it stopped waiting (cancelled)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]  # None only when error is set


async def run_cancellable(call: Callable[[Cancel], T], *, cancel: Cancel | None = None) -> T:
    """`call(cancel)` in a daemon thread; cancelling the awaiting task kills its children.

    `call` starts any child process through `cancel.popen`, so Escape (which cancels the
    reply's task) stops a long search at once instead of letting it run on unseen.
    """
    cancel = cancel or Cancel()
    try:
        return await in_daemon_thread(call, cancel)
    except asyncio.CancelledError:
        cancel.cancel()
        raise


class DaemonExecutor(ThreadPoolExecutor):
    """An event loop's default executor whose calls never keep the process alive.

    asyncio's own is a thread pool whose threads are joined when the loop closes and again
    at interpreter exit, so one call stuck for ever keeps a quit app's process alive, showing
    a blank screen. Here each call gets a daemon thread of its own, and `shutdown` waits for
    the running calls at most `grace` seconds, so quick work (a file being written) finishes
    and stuck work is left behind. A ThreadPoolExecutor only because asyncio insists on one.
    """

    def __init__(self, grace: float = 0.5) -> None:
        super().__init__(max_workers=1, thread_name_prefix="workbench-daemon")
        self.grace = grace
        """Seconds `shutdown(wait=True)` waits for calls still running."""
        self._lock = threading.Lock()
        self._running: set[threading.Thread] = set()
        self._closed = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run `fn(*args, **kwargs)` in a new daemon thread; its Future."""
        future: Future[T] = Future()

        def work() -> None:
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn(*args, **kwargs)
                    except BaseException as error:  # the Future carries it, as in the pool
                        future.set_exception(error)
                    else:
                        future.set_result(result)
            finally:
                with self._lock:
                    self._running.discard(threading.current_thread())

        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            name = getattr(fn, "__name__", "call")
            thread = threading.Thread(target=work, name=f"workbench-{name}", daemon=True)
            self._running.add(thread)
        thread.start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Take no more calls; with `wait`, give the running ones `grace` seconds to end."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        super().shutdown(wait=False, cancel_futures=cancel_futures)
        if wait:
            deadline = time.monotonic() + self.grace
            for thread in running:
                thread.join(max(0.0, deadline - time.monotonic()))


def exit_guard(seconds: float, last_words: Callable[[], int]) -> Callable[[], None]:
    """End this process `seconds` from now, unless the returned function is called first.

    When the time is up, `last_words()` runs (to put the terminal back, say) and the process
    ends with the status it returns, whatever its threads are doing. If even that cannot run
    (a thread holds the interpreter's lock), faulthandler's watchdog, which needs no lock,
    ends it a second later, writing where each thread was to stderr. Once the process runs
    its exit handlers it is ending anyway, and the guard stands down.
    """

    def end() -> None:
        status = 1
        try:
            status = last_words()
        finally:
            os._exit(status)

    timer = threading.Timer(seconds, end)
    timer.daemon = True
    timer.start()
    if sys.__stderr__ is not None:
        faulthandler.dump_traceback_later(seconds + 1.0, exit=True, file=sys.__stderr__)

    def disarm() -> None:
        timer.cancel()
        faulthandler.cancel_dump_traceback_later()
        atexit.unregister(disarm)

    # Reaching the exit handlers means the exit is under way (threads that are not daemons
    # were joined before them): the interpreter's teardown is not cut short.
    atexit.register(disarm)
    return disarm
