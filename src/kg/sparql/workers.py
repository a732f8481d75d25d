"""The embedded engine: queries run in worker processes that can be killed.

pyoxigraph cannot cancel a running query from Python (no signal reaches it) and some query texts
crash it, so no query runs in the service's own process. A `Pool` keeps a few worker processes, each
holding the release in an in-memory store (2–5× faster than the on-disk store for our queries) loaded
from the release's N-Quads dump. A worker

- runs each query on a thread with a large stack (deep but legal queries need it), and lowers that
  thread's priority once it has run for a second, so long queries yield the CPU to short ones;
- cannot reach the network: a seccomp filter makes `socket(AF_INET|AF_INET6)` fail (Linux x86-64 and
  arm64), besides the gate refusing SERVICE;
- writes the answer, counts it and checks the caps before sending it back, so the service sends a
  whole answer or an error, never a cut one.

The parent supervises each job from a thread: at the deadline, or when the worker's resident memory
passes its limit, it kills the worker (SIGKILL, within 50 ms) and starts a replacement; a worker that
dies costs only its own request. A bounded admission queue answers 503 with Retry-After when full.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from kg import errors
from kg.errors import Busy, KGError, OutOfMemory, QueryError, QueryTimeout, WorkerCrashed
from kg.sparql.engine import Answer, Job, count_rows, parse_term, too_big, too_many
from kg.sparql.execute import run_dataset
from kg.sparql.fulltext import functions

log = logging.getLogger("kg.sparql.workers")
INLINE = 256 * 1024  # answers up to this size are read on the event loop, larger ones off it
POLL = 0.05  # seconds between the supervisor's looks at a busy worker
NICE_AFTER = 1.0  # a query running longer than this yields the CPU to others
STACK = 256 * 1024 * 1024  # query thread stack (virtual; only touched pages cost memory)
PAGE = os.sysconf("SC_PAGE_SIZE")
FUNCTIONS: dict = {}  # the extension functions of the release a worker holds (set in the template)


# --- In the worker process ---


def deny_network() -> bool:
    """Install a seccomp filter on this process: creating an IPv4 or IPv6 socket fails with EACCES.
    Unix sockets (the pipe to the service) still work. True when installed."""
    import ctypes
    import platform

    arches = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # AUDIT_ARCH_*, __NR_socket
    if platform.system() != "Linux" or platform.machine() not in arches:
        return False
    audit_arch, nr_socket = arches[platform.machine()]
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_RET|K
    allow, deny = 0x7FFF0000, 0x00050000 | 13  # SECCOMP_RET_ALLOW, RET_ERRNO|EACCES

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

    code = [
        (ld, 0, 0, 4),
        (jeq, 1, 0, audit_arch),
        (ret, 0, 0, allow),  # other ABI: allow
        (ld, 0, 0, 0),
        (jeq, 0, 3, nr_socket),  # not socket(): allow
        (ld, 0, 0, 16),
        (jeq, 2, 0, 2),
        (jeq, 1, 0, 10),  # domain AF_INET / AF_INET6
        (ret, 0, 0, allow),
        (ret, 0, 0, deny),
    ]
    filters = (Filter * len(code))(*[Filter(*c) for c in code])
    program = Program(len(code), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, ctypes.byref(program), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


class CappedBuffer:
    """A binary output that refuses to grow past `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.parts: list[bytes] = []
        self.size, self.limit, self.over = 0, limit, False

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            self.over = True
            raise OSError("result larger than the byte cap")
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def execute(store: ox.Store, job: Job) -> Answer:
    """Run one job against the store and write its answer, within the job's row and byte caps."""
    started = time.perf_counter()
    substitutions = {ox.Variable(k): parse_term(v) for k, v in job.substitutions} or None
    result = run_dataset(
        store, job.query, list(job.default_graphs), list(job.named_graphs), substitutions, FUNCTIONS or None
    )
    try:
        if isinstance(result, ox.QueryTriples):
            fmt = job.graph_result_format
            triples = []
            for triple in result:
                triples.append(triple)
                if len(triples) > job.max_rows:
                    raise too_many(len(triples), job)
            body = cast(bytes, ox.serialize(triples, format=fmt.rdf_format))  # no output given: bytes
            kind, rows = "graph", len(triples)
        else:
            fmt = job.result_format
            out = CappedBuffer(job.max_bytes)
            try:
                result.serialize(out, format=fmt.results_format)
            except OSError:
                if out.over:
                    raise too_big(out.size, job) from None
                raise
            body = out.getvalue()
            kind, rows = count_rows(body, fmt)
            if rows > job.max_rows:
                raise too_many(rows, job)
    except (RuntimeError, OSError) as exc:  # evaluation errors surface while iterating
        raise QueryError(f"query failed: {exc}") from exc
    if len(body) > job.max_bytes:
        raise too_big(len(body), job)
    return Answer(body, fmt.media_type, kind, rows, time.perf_counter() - started)


def _run_on_big_stack(store: ox.Store, job: Job):
    """`execute` on a fresh thread with a large stack; its priority drops after NICE_AFTER seconds."""
    outcome: list = []

    def target() -> None:
        try:
            outcome.append(("ok", execute(store, job)))
        except KGError as exc:
            outcome.append(("error", (type(exc).__name__, str(exc))))
        except MemoryError:  # a resource limit, not the query's fault: 503 as when the worker is stopped
            outcome.append(("error", ("OutOfMemory", "the query ran out of memory and was stopped; narrow it")))
        except Exception as exc:  # anything else: generic for the client, logged here
            log.exception("query failed in worker")
            outcome.append(("error", ("QueryError", f"query failed: {type(exc).__name__}")))

    thread = threading.Thread(target=target, name="query")
    thread.start()
    thread.join(NICE_AFTER)
    if thread.is_alive():
        try:
            os.setpriority(os.PRIO_PROCESS, cast(int, thread.native_id), 10)  # Linux: per thread (started: set)
        except (OSError, AttributeError):
            pass
        thread.join()
    return outcome[0]


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no worker outlives its service)."""
    import ctypes

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve_jobs(conn, store: ox.Store) -> None:
    """A worker: answer jobs from `conn` until it closes. Called in a freshly forked child."""
    networkless = deny_network()
    threading.stack_size(STACK)
    conn.send(("ready", {"quads": len(store), "networkless": networkless}))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        answer = pickle.dumps(_run_on_big_stack(store, job), protocol=pickle.HIGHEST_PROTOCOL)
        conn.send_bytes(struct.pack("!q", len(answer)))  # the size first: small answers are read at once
        conn.send_bytes(answer)


def template_main(control: socket.socket, dump: str) -> None:
    """The template process: load the release once, then fork a worker for each socket it is sent.

    Workers share the loaded store with the template copy-on-write, so a worker starts in
    milliseconds and the release sits in memory once, however many workers there are. The template
    runs no queries and starts no threads (forking is safe), and reaps its children itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the service, which stops its workers
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # dead workers are reaped by the kernel
    die_with_parent()
    store = ox.Store()
    store.load(path=dump, format=ox.RdfFormat.N_QUADS)
    FUNCTIONS.update(functions(Path(dump).parent))  # kgf:textScore over the release's search index
    control.sendall(struct.pack("!q", len(store)))
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1, 1)
        except OSError:
            return
        if not message or not fds:
            return  # the service is gone
        pid = os.fork()
        if pid == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            die_with_parent()
            try:
                serve_jobs(Connection(fds[0]), store)
            finally:
                os._exit(0)
        os.close(fds[0])
        control.sendall(struct.pack("!q", pid))


# --- In the service process ---


def _error(name: str, detail: str) -> KGError:
    """The error a worker reported, as its class in kg.errors (QueryError when unknown)."""
    cls = getattr(errors, name, None)
    return cls(detail) if isinstance(cls, type) and issubclass(cls, KGError) else QueryError(detail)


class Template:
    """The template process of one release (`python -m kg.sparql.workers FD DUMP`), started by the service.
    A plain subprocess rather than multiprocessing's: it never re-imports the service's main module."""

    def __init__(self, dump: Path, load_timeout: float) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.sparql.workers", str(theirs.fileno()), str(dump)],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.control, self.lock = ours, threading.Lock()
        self.control.settimeout(load_timeout)
        try:
            self.quads = struct.unpack("!q", _receive(self.control, 8))[0]
        except (OSError, struct.error):
            self.stop()
            raise WorkerCrashed(f"the query workers could not load {dump} within {load_timeout:.0f} s") from None
        self.control.settimeout(30)

    def fork(self) -> Worker:
        ours, theirs = socket.socketpair()
        try:
            with self.lock:
                socket.send_fds(self.control, [b"F"], [theirs.fileno()])
                pid = struct.unpack("!q", _receive(self.control, 8))[0]
        except (OSError, struct.error):
            ours.close()
            raise WorkerCrashed("the query workers' template process is gone") from None
        finally:
            theirs.close()
        return Worker(pid, Connection(ours.detach()))

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.control.close()
        if self.alive():
            self.process.kill()
        self.process.wait(5)


def _receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


class Worker:
    """One worker process (a child of the template), talking to the service over a socket pair."""

    def __init__(self, pid: int, conn: Connection) -> None:
        self.pid, self.conn = pid, conn
        self.info: dict = {}

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise WorkerCrashed(f"a query worker did not start within {timeout:.0f} s")
        try:
            status, self.info = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise WorkerCrashed("a query worker died while starting") from None

    def alive(self) -> bool:
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except (OSError, IndexError):
            return False

    def rss(self) -> int:
        """Memory of its own (private pages, not the store it shares with the template), in bytes."""
        try:
            with open(f"/proc/{self.pid}/smaps_rollup") as f:
                return sum(int(line.split()[1]) * 1024 for line in f if line.startswith("Private_"))
        except (OSError, ValueError, IndexError):
            return 0

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.conn.close()  # the template reaps it; nothing to wait for


class Pool:
    """Worker processes answering `Job`s for one release (an `Engine`)."""

    def __init__(self, dump: Path, size: int, queue: int, memory_mb: int, load_timeout: float = 600.0) -> None:
        self.dump, self.size, self.queue_limit = Path(dump), size, queue
        self.memory_limit = memory_mb * 1024 * 1024
        self.load_timeout = load_timeout
        self.executor = ThreadPoolExecutor(max_workers=size * 2 + 2, thread_name_prefix="kg-pool")
        self.idle: asyncio.Queue[Worker] | None = None
        self.workers: set[Worker] = set()
        self.waiting = 0
        self.closed = False
        self.replaced = 0  # workers killed and replaced (deadline, memory, crash)
        self.starting: set[asyncio.Task] = set()
        self.template: Template | None = None

    async def start(self) -> None:
        self.idle = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self.template = await loop.run_in_executor(self.executor, Template, self.dump, self.load_timeout)
        started = await asyncio.gather(*(self._add() for _ in range(self.size)), return_exceptions=True)
        failures = [s for s in started if isinstance(s, BaseException)]
        if len(failures) == self.size:
            raise failures[0]

    def _queue(self) -> asyncio.Queue[Worker]:
        """The idle workers (a pool answers once started)."""
        if self.idle is None:
            raise RuntimeError("the query worker pool is not started: await Pool.start() first")
        return self.idle

    async def _add(self) -> None:
        loop = asyncio.get_running_loop()
        worker = await loop.run_in_executor(self.executor, self._spawn)
        if self.closed:
            worker.kill()
            return
        self.workers.add(worker)
        self._queue().put_nowait(worker)

    def _spawn(self) -> Worker:
        if self.template is None:
            raise RuntimeError("the query worker pool is not started: await Pool.start() first")
        if not self.template.alive():  # it died (killed by hand, out of memory): again
            log.error("the query workers' template process died; starting it again")
            self.template = Template(self.dump, self.load_timeout)
        worker = self.template.fork()
        worker.wait_ready(30)
        return worker

    def _replace(self, worker: Worker) -> None:
        worker.kill()
        self.workers.discard(worker)
        self.replaced += 1
        if not self.closed:
            task = asyncio.get_running_loop().create_task(self._add())
            self.starting.add(task)
            task.add_done_callback(self._started)

    def _started(self, task: asyncio.Task) -> None:
        self.starting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not start a query worker: %s", task.exception())

    async def run(self, job: Job) -> Answer:
        if self.closed:
            raise Busy("the service is switching releases; try again", retry_after=1)
        deadline = time.monotonic() + job.timeout
        if self._queue().empty() and self.waiting >= self.queue_limit:
            raise Busy(
                f"all {self.size} query workers are busy and {self.waiting} queries are waiting; try again shortly",
                retry_after=max(1, round(job.timeout / 2)),
            )
        self.waiting += 1
        try:
            worker = await asyncio.wait_for(self._queue().get(), timeout=job.timeout)
        except TimeoutError:
            raise Busy(
                f"no query worker became free within {job.timeout:g} s; try again shortly",
                retry_after=max(1, round(job.timeout)),
            ) from None
        finally:
            self.waiting -= 1
        future = asyncio.ensure_future(self._supervise(worker, job, deadline))
        future.add_done_callback(lambda done: self._release(worker, done))
        return await asyncio.shield(future)  # a cancelled request leaves the worker to finish its job

    def _release(self, worker: Worker, done: asyncio.Future) -> None:
        """After a job: the worker goes back to the idle queue, or is replaced when it was killed or died."""
        error = None if done.cancelled() else done.exception()
        if isinstance(error, (QueryTimeout, OutOfMemory, WorkerCrashed)):
            self._replace(worker)
        elif self.closed:
            worker.kill()
            self.workers.discard(worker)
            if not self.workers and self.template is not None:
                self.template.stop()
        else:
            self._queue().put_nowait(worker)

    async def _supervise(self, worker: Worker, job: Job, deadline: float) -> Answer:
        """Send the job and watch the worker (on the event loop, no thread hand-offs) until it answers,
        dies, overruns its deadline or outgrows its memory."""
        loop = asyncio.get_running_loop()
        readable, fd = asyncio.Event(), worker.conn.fileno()
        loop.add_reader(fd, readable.set)
        try:
            try:
                worker.conn.send(job)
            except (OSError, ValueError):
                raise WorkerCrashed("the query worker is gone; only this request is lost, try again") from None
            while not readable.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    worker.kill()
                    raise QueryTimeout(
                        f"the query did not finish within {job.timeout:g} s and was stopped; "
                        "narrow it (fewer joins, a LIMIT, a more selective pattern)"
                    )
                try:
                    await asyncio.wait_for(readable.wait(), min(POLL, remaining))
                except TimeoutError:
                    if self.memory_limit and worker.rss() > self.memory_limit:
                        worker.kill()
                        raise OutOfMemory(
                            f"the query needed more than {self.memory_limit // 2**20} MiB and was "
                            "stopped; narrow it or add a LIMIT"
                        ) from None
        finally:
            loop.remove_reader(fd)
            if not worker.conn.closed:
                os.set_blocking(fd, True)  # uvloop makes a watched descriptor non-blocking
        try:
            size = struct.unpack("!q", worker.conn.recv_bytes())[0]
            if size <= INLINE:
                status, payload = pickle.loads(worker.conn.recv_bytes())
            else:  # a large answer is read off the loop
                status, payload = pickle.loads(await loop.run_in_executor(self.executor, worker.conn.recv_bytes))
        except (EOFError, OSError, struct.error):
            log.error("query worker %s died while answering", worker.pid)
            raise WorkerCrashed(
                "the query could not be answered (the process running it stopped); only this request is lost"
            ) from None
        if status == "ok":
            return payload
        raise _error(*payload)

    async def close(self) -> None:
        """Stop taking jobs; idle workers stop now, busy ones when their job is answered."""
        self.closed = True
        while self.idle is not None and not self.idle.empty():
            worker = self.idle.get_nowait()
            worker.kill()
            self.workers.discard(worker)
        if self.starting:  # replacements being started stop themselves
            await asyncio.gather(*self.starting, return_exceptions=True)
        self.executor.shutdown(wait=False)
        if not self.workers and self.template is not None:
            self.template.stop()

    def kill_all(self) -> None:
        """Synchronous last resort (at exit): kill every worker and the template."""
        self.closed = True
        for worker in list(self.workers):
            worker.kill()
        if self.template is not None:
            self.template.stop()


def default_size(configured: int) -> int:
    """Workers: as configured, else two per core (a long query then holds one of several), at least 2."""
    return configured if configured > 0 else max(2, 2 * (os.cpu_count() or 1))


if __name__ == "__main__":
    template_main(socket.socket(fileno=int(sys.argv[1])), sys.argv[2])
