"""Timing `kg build` step by step, with peak memory, in a child process.

The parent (`measure`) starts `python -m bench.build ROOT BUILD_DIR BUDGETS.json OUT.json` in a new
session, watches the memory of its process group (it is killed past `memory_limit_mb`) and the wall
time, and kills whatever is left of the group when it ends (HermiT's Java, for one).

The child runs the real build (`kg.api.build`) with its steps observed from outside: each function
the pipeline calls for a step is wrapped to time it and to read the process's peak resident memory
during it (`VmHWM`, reset at the start of each step through /proc/self/clear_refs); the reasoner's
processes are the build's children, whose peak is read at the end. SHACL validation runs under a
budget (SIGALRM): past it the step is recorded as over budget and the build goes on without its
result; the reasoner's budget is the build's own deadline for it, past which the build is done
again without it. A step the parent decided to skip is not run. The bench's builds are throw-away
copies, so a release built without validation or reasoning serves only the query benchmark.

Steps reported: parse, validate (SHACL), reason (HermiT), infer (materialise), store (bulk load
of the release's on-disk Oxigraph store), dumps (the release files), with every timing the pipeline
itself reports (`write`, and whatever else it adds) kept in the JSON.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STEPS = ("parse", "validate", "reason", "infer", "store", "dumps")
BUDGETED = ("validate", "reason")


# --- the child ---


class OverBudget(BaseException):
    """Raised by SIGALRM inside a budgeted step (a BaseException, so no `except Exception` eats it)."""


def _peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        found = re.search(r"VmHWM:\s+(\d+)", f.read())
    if found is None:
        raise RuntimeError("/proc/self/status has no VmHWM line: the build bench needs Linux")
    return int(found[1]) / 1024


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


def _children_peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


class Observer:
    """Wraps the pipeline's step functions; collects {step: {seconds, peak_rss_mb, status, ...}}."""

    def __init__(self, budgets: dict[str, float | None], skip: list[str]) -> None:
        self.budgets, self.skip = budgets, set(skip)
        self.steps: dict[str, dict[str, Any]] = {}  # step -> {seconds, peak_rss_mb, status, ...}

    @contextmanager
    def step(self, name: str):
        _reset_peak()
        before = _children_peak_mb()
        start = time.perf_counter()
        record = self.steps.setdefault(name, {"status": "ok"})
        budget = self.budgets.get(name)
        if budget:
            signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            yield record
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            record["seconds"] = time.perf_counter() - start
            record["peak_rss_mb"] = round(_peak_mb(), 1)
            children = _children_peak_mb()
            if children > before:
                record["child_peak_rss_mb"] = round(children, 1)

    @staticmethod
    def _alarm(signum, frame):
        raise OverBudget()

    def wrap(self, module, attr: str, name: str, skipped_value=None):
        """Replace module.attr by a timed call; a skipped or over-budget step returns skipped_value()
        (None when that is None)."""
        original = getattr(module, attr)

        def timed(*args, **kwargs):
            if name in self.skip:
                self.steps[name] = {"status": "skipped", "seconds": None}
                return skipped_value() if skipped_value else None
            with self.step(name) as record:
                try:
                    return original(*args, **kwargs)
                except OverBudget:
                    record["status"] = "over budget"
                    record["budget_seconds"] = self.budgets[name]
                    return skipped_value() if skipped_value else None

        setattr(module, attr, timed)


# The functions the pipeline calls for each step, wrapped when the pipeline still has them (the
# pipeline's own timings, whatever their names, are reported in any case).
WRAPPED = (
    ("pipeline.build", "parse_all", "parse", None),
    ("pipeline.build", "check_shapes", "validate", list),
    ("pipeline.infer", "materialise", "infer", dict),
    ("release.directory", "write_store", "store", None),
    ("release.directory", "write_dumps", "dumps", None),
)


def child(root: Path, build_dir: Path, config: dict, out: Path) -> None:
    import importlib

    from kg import api
    from kg.config import Settings
    from kg.errors import ReasonerUnavailable

    budgets, skip = config.get("budgets", {}), config.get("skip", [])
    observer = Observer(budgets, skip)
    for package, attr, name, skipped_value in WRAPPED:
        module = importlib.import_module(f"kg.{package}")
        if hasattr(module, attr):
            observer.wrap(module, attr, name, skipped_value)
    # The reasoner's budget is the build's own deadline for it (KG_REASONER_TIMEOUT); past it the
    # build fails, and is done again without the reasoner.
    settings = Settings(
        root=root,
        build_dir=build_dir,
        keep_releases=1,
        reasoner="reason" not in skip,
        reasoner_timeout=float(budgets.get("reason") or 3600),
    )
    reason = {"status": "skipped", "seconds": None} if "reason" in skip else None
    start = time.perf_counter()
    try:
        report = api.build(settings)
    except ReasonerUnavailable as exc:
        over = "did not finish" in str(exc)
        reason = {
            "status": "over budget" if over else f"unavailable: {str(exc)[:200]}",
            "seconds": None,
            "budget_seconds": budgets.get("reason"),
        }
        observer.steps.clear()
        start = time.perf_counter()
        report = api.build(settings.with_(reasoner=False))
    total = time.perf_counter() - start
    for name, seconds in report.timings.items():  # the pipeline's own timing of a step wins
        if observer.steps.get(name, {}).get("status", "ok") == "ok":
            observer.steps.setdefault(name, {"status": "ok"})["seconds"] = seconds
    if reason is not None:
        observer.steps["reason"] = reason
    elif "reason" in observer.steps:  # HermiT's process (and Java) is a child of the build
        observer.steps["reason"]["child_peak_rss_mb"] = round(_children_peak_mb(), 1)
    from kg.release import directory

    manifest = directory.current(settings).manifest
    out.write_text(
        json.dumps(
            {
                "status": "ok",
                "steps": observer.steps,
                "pipeline_timings": report.timings,
                "total_seconds": total,
                "release": Path(report.path).relative_to(build_dir).as_posix(),
                "quads": report.triples,
                "inputs": {i["path"]: i["triples"] for i in manifest["inputs"]},
                "dumps": {f["name"]: f["bytes"] for f in manifest["files"]},
            },
            indent=2,
        ),
        encoding="utf-8",
    )


# --- the parent ---


def group_memory_mb(group: int, field: str = "VmRSS") -> float:
    """A /proc status field (VmRSS: resident now, VmHWM: peak) summed over a process group, in MiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != group:
                continue
            status = (entry / "status").read_text(encoding="ascii")
        except (OSError, ProcessLookupError):
            continue
        m = re.search(rf"{field}:\s+(\d+)", status)
        total += int(m[1]) if m else 0
    return total / 1024


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group of a child this module (or bench.servers) started in its own session."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def measure(
    root: Path,
    build_dir: Path,
    python: str,
    budgets: dict,
    skip: list[str],
    wall_limit: float,
    memory_limit_mb: float,
    workdir: Path,
) -> dict:
    """Build `root` into `build_dir` in a child process; its step report (see `child`), or a failure."""
    config = workdir / "build-config.json"
    out = workdir / "build-result.json"
    out.unlink(missing_ok=True)
    config.write_text(json.dumps({"budgets": budgets, "skip": skip}), encoding="utf-8")
    log = (workdir / "build.log").open("wb")
    proc = subprocess.Popen(
        [python, "-m", "bench.build", str(root), str(build_dir), str(config), str(out)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    start, peak_group = time.monotonic(), 0.0
    failure = None
    try:
        while proc.poll() is None:
            peak_group = max(peak_group, group_memory_mb(proc.pid))
            if peak_group > memory_limit_mb:
                failure = f"over the memory limit ({memory_limit_mb:.0f} MiB)"
            elif time.monotonic() - start > wall_limit:
                failure = f"over the time limit ({wall_limit:.0f} s)"
            if failure:
                break
            time.sleep(0.25)
    finally:
        kill_group(proc)
        log.close()
    if failure is None and proc.returncode == 0 and out.is_file():
        result = json.loads(out.read_text(encoding="utf-8"))
        result["group_peak_rss_mb"] = round(peak_group, 1)
        return result
    tail = (workdir / "build.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
    return {
        "status": "failed",
        "reason": failure or f"exit code {proc.returncode}",
        "log_tail": tail,
        "seconds": time.monotonic() - start,
        "group_peak_rss_mb": round(peak_group, 1),
    }


def growth(n1: float, t1: float, n2: float, t2: float) -> float | None:
    """The exponent k of t ~ n^k between two sizes (1: linear), or None when undefined."""
    if min(n1, n2, t1, t2) <= 0 or n1 == n2:
        return None
    return math.log(t2 / t1) / math.log(n2 / n1)


def predict(history: list[tuple[float, float]], n: float) -> float | None:
    """Seconds a step would take at size n, extrapolated from (size, seconds) at smaller sizes:
    the power law through the last two points (never below linear), or linear from one."""
    points = sorted(p for p in history if p[1])
    if not points:
        return None
    n2, t2 = points[-1]
    k = 1.0
    if len(points) > 1:
        k = max(1.0, growth(*points[-2], n2, t2) or 1.0)
    return t2 * (n / n2) ** k


def plan(step: str, n: float, history: list[dict], budget: float) -> str | None:
    """Why `step` should not run at size n (over budget at a smaller size, or predicted so), or None."""
    if any(h["status"] == "over budget" for h in history):
        return "skipped: over budget at a smaller size"
    guess = predict([(h["n"], h["seconds"]) for h in history if h["status"] == "ok"], n)
    if guess is not None and guess > budget:
        return f"skipped: predicted {guess:.0f} s > budget {budget:.0f} s"
    return None


if __name__ == "__main__":
    child(Path(sys.argv[1]), Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text()), Path(sys.argv[4]))
