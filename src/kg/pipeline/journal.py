"""An import is one transaction, even when its process is killed (`kill -9`): before `kg import` swaps
its data file in, it writes a journal into the build directory,

    build/.import-journal/old            the data file as it was (absent when there was none)
    build/.import-journal/journal.json   what is pending: the data file, the release in service
                                         before, the version the import stamps (written last)

and removes it once the new release is stamped or the old file is back. The next `kg import`,
`kg build` or `kg serve` that finds a journal while no import holds the lock (`build/.import.lock`,
an flock the kernel drops with its process) finishes the import when its release was stamped, and
otherwise undoes it: the data file is put back byte for byte and `build/current` switched back to
the release it was. Stale temporary files of the data folder (`.*.tmp-<pid>` of dead processes)
and staging directories of dead builds are removed then too. Without a journal nothing is touched
(so a replica's read-only build directory is fine)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kg.config import Settings
from kg.errors import InputError
from kg.release import directory, stamp

JOURNAL = ".import-journal"
LOCK = ".import.lock"


def folder(settings: Settings) -> Path:
    return settings.build_path / JOURNAL


@contextmanager
def locked(settings: Settings) -> Iterator[None]:
    """The import lock, held while the block runs; InputError when another import holds it."""
    settings.build_path.mkdir(parents=True, exist_ok=True)
    with open(settings.build_path / LOCK, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("another `kg import` is running on this project; wait for it to finish") from None
        yield


def write_atomic(path: Path, data: bytes | None) -> None:
    """Replace `path` by `data` in one rename (fsynced), or remove it when `data` is None."""
    if data is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    directory.fsync_dir(path.parent)


def begin(settings: Settings, data_file: str, old: bytes | None, before: str | None, version: str) -> None:
    """Record the pending change before the data file is touched (the journal file is written last)."""
    where = folder(settings)
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    if old is not None:
        write_atomic(where / "old", old)
    entry = {"data_file": data_file, "had_file": old is not None, "before": before, "version": version}
    write_atomic(where / "journal.json", json.dumps(entry).encode())


def end(settings: Settings) -> None:
    """The change is done (stamped) or undone: nothing is pending any more."""
    shutil.rmtree(folder(settings), ignore_errors=True)


def pending(settings: Settings) -> dict | None:
    try:
        return json.loads((folder(settings) / "journal.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def recover(settings: Settings, log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> str | None:
    """Finish or undo what a killed import left (see the module's docstring), unless an import is
    running; return what was done (also told to `log`: stderr by default), None when nothing was pending."""
    if not folder(settings).exists():  # nothing pending (a read-only replica never gets further)
        return None
    try:
        with locked(settings):
            done = _recover(settings)
            removed = _clean(settings)
    except InputError:  # an import is running: what it left is its own business
        return None
    except OSError as exc:  # e.g. a read-only build directory: say so, change nothing
        log(f"an interrupted `kg import` is pending in {folder(settings)} but could not be recovered: {exc}")
        return None
    if removed:
        log(f"removed {len(removed)} stale temporary file(s) of killed runs")
    if done:
        log(done)
    return done


def _recover(settings: Settings) -> str | None:
    entry = pending(settings)
    if entry is None:
        shutil.rmtree(folder(settings), ignore_errors=True)  # a journal never completed: nothing was touched
        return None
    data_file, before = entry["data_file"], entry.get("before")
    in_service = directory.current(settings) if directory.current_path(settings) else None
    if in_service is not None and in_service.id != before and stamp.label(in_service) == entry.get("version"):
        end(settings)
        return f"an interrupted `kg import` into {data_file} had finished: release {entry['version']} is in service"
    old = (folder(settings) / "old").read_bytes() if entry.get("had_file") else None
    write_atomic(settings.root / data_file, old)
    if in_service is not None and in_service.id != before:
        if before:
            directory.switch(settings, before)
        else:
            settings.current_link.unlink(missing_ok=True)
    end(settings)
    return (
        f"an interrupted `kg import` into {data_file} was undone: the data file and the release in service "
        "are as they were before it; run the import again"
    )


def _clean(settings: Settings) -> list[Path]:
    """Temporary files of dead processes in the data folders, and staging directories of dead builds."""
    removed = []
    for tmp in (settings.root / "data").rglob(".*.tmp-*"):
        pid = tmp.name.rsplit(".tmp-", 1)[-1]
        if pid.isdigit() and not directory.process_alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    if settings.releases_dir.exists():
        removed += directory.clean_stale(settings)
    return removed
