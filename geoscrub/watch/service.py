"""The watch loop: events and rescans in, settled files out to a few workers.

watchdog only says "something happened"; it gives no completion signal,
no startup scan, no rescan after lost events, and its threads can die
quietly (watchdog #586, #313, #1065, #427).  So the observer here only
feeds paths into a queue.  The main thread decides when a file is complete
(``settle``), rescans the inbox every ``rescan_every`` seconds, restarts a
dead observer (falling back to polling when inotify limits are hit) and
hands complete files to worker threads.
"""
from __future__ import annotations

import errno
import os
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from .._version import __version__
from . import inbox as inbox_walk
from . import reasons
from .diskfull import FullDisk, free_space
from .log import EventLog, duration
from .placement import Places
from .settle import DEFAULT_PATIENCE, Job, SettleTracker
from .worker import Outcome, Result, process

#: Event types the observer is asked for (our own reads make no events).
EVENT_FILTER: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent, DirCreatedEvent, DirMovedEvent,
]
#: Errors meaning "inotify is out of watches or instances": poll instead.
INOTIFY_LIMIT_ERRNOS = {errno.ENOSPC, errno.EMFILE, errno.ENFILE}
#: Seconds between checks that the observer is alive and the inbox is there.
HEALTH_EVERY = 1.0
#: Longest sleep of the main loop.
TICK = 0.05
#: Bytes of input held by workers at once (one bigger file still runs alone),
#: so a burst of huge files cannot multiply memory by the number of workers.
MAX_INFLIGHT_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class WatchConfig:
    inbox: Path
    outbox: Path
    quarantine: Path
    archive: Path | None = None
    poll: bool = False
    settle: float = 2.0
    json_log: bool = False
    rescan_every: float = 60.0
    status_every: float = 300.0
    poll_interval: float = 1.0
    workers: int = 4
    #: Seconds an empty or cut-short file must stay unchanged before it is quarantined.
    patience: float = DEFAULT_PATIENCE
    #: Post a copy rebuilt from the pixels (re-encoded, labelled) of a photo that would be quarantined as
    #: damaged or unsupported, when one can be made.
    rebuild: bool = False
    #: --hold: what sends a photo to ``review`` instead of the outbox ({"faces", "words"}); needs geoscrub[look].
    hold: frozenset[str] = frozenset()
    review: Path | None = None


class _Feed(FileSystemEventHandler):
    """Runs on the observer thread: only queues paths, never raises."""

    def __init__(self, events: queue.SimpleQueue[tuple[str, str]], wake: threading.Event) -> None:
        self.events = events
        self.wake = wake

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            path = os.fsdecode(event.dest_path or event.src_path)
            if event.is_directory:
                self.events.put(("dir", path))
            elif isinstance(event, FileClosedEvent):
                self.events.put(("closed", path))
            else:
                self.events.put(("file", path))
            self.wake.set()
        except Exception:  # noqa: BLE001 - an exception here would kill the observer
            pass


class WatchService:
    """Run with ``run()`` (blocking); ``request_stop()`` from any thread or a signal."""

    def __init__(self, config: WatchConfig, log: EventLog | None = None) -> None:
        self.config = config
        self.root = os.path.abspath(config.inbox)
        self.places = Places(Path(config.outbox), Path(config.quarantine),
                             Path(config.archive) if config.archive else None,
                             Path(config.review) if config.review else None)
        if config.hold:  # loads the detectors; raises LookMissing without geoscrub[look]
            from ..look.hold import Holding

            self.places.holding = Holding.start(config.hold)
        self.log = log or EventLog(json_lines=config.json_log, outbox=self.places.outbox,
                                   quarantine=self.places.quarantine)
        self.tracker = SettleTracker(self.root, config.settle, config.patience)
        self.events: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.mode = "polling" if config.poll else "native events"
        self.observer: BaseObserver | None = None
        self._inbox_id: tuple[int, int] | None = None
        self._inbox_missing = False
        self._running: dict[Future[Outcome], Job] = {}
        self.disk = FullDisk(free=free_space(self.places.outbox))
        self.started = threading.Event()  # set once the startup scan is queued

    # -- public -------------------------------------------------------------
    def request_stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def run(self) -> int:
        cfg = self.config
        self.places.prepare()
        swept = self.places.sweep_temp_files()
        if swept:
            self.log.message("start", f"removed {len(swept)} unfinished temp file(s) left by an earlier run")
        began = time.monotonic()
        self._start_observer()
        self.log.message("start", f"geoscrub {__version__} watching {self.root} ({self.mode}); settle {cfg.settle:g}s",
                         inbox=self.root, mode=self.mode, geoscrub_version=__version__)
        self._rescan(time.monotonic())
        self.started.set()
        now = time.monotonic()
        next_rescan = now + cfg.rescan_every
        next_health = now + HEALTH_EVERY
        next_status = now + cfg.status_every
        pool = ThreadPoolExecutor(max_workers=max(1, cfg.workers), thread_name_prefix="geoscrub-watch")
        try:
            while not self.stopping.is_set():
                self.wake.clear()
                now = time.monotonic()
                self._drain_events(now)
                if now >= next_rescan:
                    self._rescan(now)
                    next_rescan = now + cfg.rescan_every
                if now >= next_health:
                    self._check_health()
                    next_health = now + HEALTH_EVERY
                self._collect(block=False)
                self._submit(pool, now)
                if now >= next_status:
                    self._status(began)
                    next_status = now + cfg.status_every
                self.wake.wait(TICK)
        finally:
            # Finish the files in hand (a few at most), then stop watching.
            self._collect(block=True)
            pool.shutdown(wait=True)
            self._stop_observer()
            self._status(began)
            self.log.message("stop", "stopped")
        return 0

    # -- events and scans ---------------------------------------------------
    def _drain_events(self, now: float) -> None:
        while True:
            try:
                kind, path = self.events.get_nowait()
            except queue.Empty:
                return
            rel = inbox_walk.relative(self.root, path)
            if rel is None:
                continue
            if kind == "dir":
                # A folder moved in, or created: its files may have made no events.
                if not inbox_walk.is_ignored(rel + os.sep + "x"):
                    for sub in inbox_walk.walk(self.root, rel):
                        self.tracker.note(sub, now)
                continue
            if not inbox_walk.is_ignored(rel):
                self.tracker.note(rel, now, closed=(kind == "closed"))

    def _rescan(self, now: float) -> None:
        for rel in inbox_walk.walk(self.root):
            self.tracker.note(rel, now)
        for rel in list(self.tracker.ignored):
            if not os.path.lexists(os.path.join(self.root, rel)):
                del self.tracker.ignored[rel]

    # -- workers ------------------------------------------------------------
    def _submit(self, pool: ThreadPoolExecutor, now: float) -> None:
        free = max(1, self.config.workers) - len(self._running)
        if free <= 0 or not self.disk.may_start(now):
            return  # while the disk is full, only one photo at a time, after a wait
        in_flight = sum(job.sig.size for job in self._running.values())
        for job in self.disk.choose(self.tracker.ready(now))[:free]:
            if self.stopping.is_set():
                return
            if self._running and in_flight + job.sig.size > MAX_INFLIGHT_BYTES:
                return
            in_flight += job.sig.size
            self.tracker.start(job.rel)
            self.disk.started(job.rel)
            future = pool.submit(process, job, self.root, self.places, self.config.rebuild)
            future.add_done_callback(lambda _f: self.wake.set())
            self._running[future] = job

    def _collect(self, *, block: bool) -> None:
        for future, job in list(self._running.items()):
            if not block and not future.done():
                continue
            try:
                outcome = future.result()
            except BaseException as err:  # noqa: BLE001 - process() should never raise
                outcome = Outcome(job.rel, Result.RETRY, reason="something went wrong", detail=repr(err))
            del self._running[future]
            self._settle_outcome(job, outcome)

    def _settle_outcome(self, job: Job, out: Outcome) -> None:
        now = time.monotonic()
        retry_in = 0.0
        if out.disk_full:
            # not the photo's fault, and every other photo would fail the same way: wait for room
            self.tracker.finish(job.rel, now, done=False)
            if self.disk.ran_out(job.rel, now):
                self.log.message("disk-full", reasons.DISK_FULL.format(
                    detail=out.detail or out.reason, most=duration(self.disk.most_wait)), detail=out.detail)
            return
        if self.disk.finished(job.rel, now, wrote=out.result == Result.CLEANED):
            self.log.message("disk-full", reasons.ROOM_AGAIN.format(waiting=self.tracker.waiting()))
        if out.result == Result.NOT_YET:
            self.tracker.not_yet(job.rel, now)
        elif out.result == Result.UNFINISHED:
            self.tracker.unfinished(job.rel, now)
        elif out.result == Result.CHANGED or out.original_changed:
            self.tracker.changed(job.rel, now)
        elif out.result == Result.RETRY or (out.result == Result.CLEANED and out.kept_original):
            retry_in = self.tracker.retry_later(job.rel, now)
        elif out.result == Result.SKIPPED:
            self.tracker.ignore(job.rel, job.sig)
        else:
            self.tracker.finish(job.rel, now, done=True)
        self.log.outcome(out, retry_in=retry_in)

    def _status(self, began: float) -> None:
        self.log.status(waiting=self.tracker.waiting(), working=len(self._running), mode=self.mode,
                        uptime=time.monotonic() - began, disk_full=self.disk.full)

    # -- the observer -------------------------------------------------------
    def _make_observer(self) -> BaseObserver:
        if self.config.poll:
            return PollingObserver(timeout=self.config.poll_interval)
        return Observer()

    def _start_observer(self) -> None:
        try:
            st = os.stat(self.root)
        except OSError:
            self._note_inbox_missing()
            return
        observer = self._make_observer()
        try:
            observer.schedule(_Feed(self.events, self.wake), self.root, recursive=True, event_filter=EVENT_FILTER)
            observer.start()
        except OSError as err:
            _stop_quietly(observer)
            if not self.config.poll and err.errno in INOTIFY_LIMIT_ERRNOS:
                self.log.message(
                    "observer",
                    "the system limit on watched folders is reached (fs.inotify.max_user_watches or "
                    "max_user_instances); switching to polling, which is slower but works",
                    errno=err.errno,
                )
                self.config = _with_poll(self.config)
                self.mode = "polling"
                self._start_observer()
                return
            self.log.message("observer", f"could not start watching the inbox: {err.strerror or err}; will retry")
            return
        self.observer = observer
        self._inbox_id = (st.st_dev, st.st_ino)
        if self._inbox_missing:
            self._inbox_missing = False
            self.log.message("observer", "the inbox folder is back; watching it again")

    def _stop_observer(self) -> None:
        if self.observer is not None:
            _stop_quietly(self.observer)
            self.observer = None

    def _note_inbox_missing(self) -> None:
        if not self._inbox_missing:
            self._inbox_missing = True
            self.log.message("observer", "the inbox folder is missing (unplugged disk or share?); "
                                         "waiting for it to come back")

    def observer_alive(self) -> bool:
        obs = self.observer
        if obs is None or not obs.is_alive():
            return False
        return all(emitter.is_alive() for emitter in obs.emitters) and bool(obs.emitters)

    def _check_health(self) -> None:
        """Restart a dead observer, or one watching a folder that was remounted."""
        try:
            st = os.stat(self.root)
            inbox_id: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            inbox_id = None
        if inbox_id is None:
            self._stop_observer()
            self._note_inbox_missing()
            return
        if self.observer_alive() and inbox_id == self._inbox_id:
            return
        if self.observer is not None:
            self.log.message("observer", "the folder watcher stopped; restarting it and rescanning the inbox")
        self._stop_observer()
        self._start_observer()
        if self.observer is not None:
            self._rescan(time.monotonic())


def _with_poll(config: WatchConfig) -> WatchConfig:
    from dataclasses import replace

    return replace(config, poll=True)


def _stop_quietly(observer: Any) -> None:
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=2.0)
    except Exception:  # noqa: BLE001 - a broken observer is being thrown away anyway
        pass
