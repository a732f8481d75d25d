"""The embedded engine (kg.sparql.workers.Pool) over the real release: answers whole or refuses, kills a
query at its deadline or memory limit, survives a crashing query, and has no way out to the network."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from kg.errors import Busy, OutOfMemory, QueryError, QueryTimeout, ResultTooLarge, WorkerCrashed
from kg.sparql.engine import Job
from kg.sparql.workers import Pool

from recorder import recording_server

CROSS_JOIN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
GREEDY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"  # sorts ~2 billion rows in memory


def run(coroutine):
    return asyncio.run(coroutine)


async def with_pool(current, body, size=2, queue=4, memory_mb=2048):
    pool = Pool(current.dump_path("nquads"), size, queue, memory_mb)
    await pool.start()
    try:
        return await body(pool)
    finally:
        await pool.close()
        pool.kill_all()


def test_answers_each_form(current):
    async def body(pool):
        count = await pool.run(Job("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
        graph = await pool.run(Job("CONSTRUCT WHERE { ?m a airm:Mitigation } LIMIT 5", graph_format="ntriples"))
        ask = await pool.run(Job("ASK { ?m a airm:Mitigation }", format="xml"))
        return count, graph, ask

    count, graph, ask = run(with_pool(current, body))
    assert count.kind == "solutions" and count.rows == 1 and count.media_type == "application/sparql-results+json"
    assert str(current.manifest["quads"]).encode() in count.body
    assert graph.kind == "graph" and graph.rows == 5 and graph.body.count(b"\n") == 5
    assert ask.kind == "boolean" and b"<boolean>true</boolean>" in ask.body


def test_deadline_kills_and_replaces_the_worker(current):
    async def body(pool):
        before = {w.pid for w in pool.workers}
        with pytest.raises(QueryTimeout, match="did not finish within 1 s"):  # a cross join never finishes
            await pool.run(Job(CROSS_JOIN, timeout=1.0))
        await asyncio.sleep(0)
        answer = await pool.run(Job("ASK {}"))
        for _ in range(100):  # the replacement loads the release meanwhile
            if len(pool.workers) == pool.size:
                break
            await asyncio.sleep(0.1)
        return before, {w.pid for w in pool.workers}, answer, pool.replaced

    before, after, answer, replaced = run(with_pool(current, body))
    assert replaced == 1 and len(after) == 2 and len(before & after) == 1
    assert answer.body == b'{"head":{},"boolean":true}'


def test_a_crashing_query_costs_only_its_request(current):
    """A worker that dies mid-query (here: SIGSEGV sent to it, as a parser crash would) fails that
    request with a generic 500-class error; the pool answers the next query."""

    async def body(pool):
        running = asyncio.ensure_future(pool.run(Job(CROSS_JOIN, timeout=20)))
        await asyncio.sleep(0.5)
        busy = [w for w in pool.workers if w not in pool.idle._queue]
        os.kill(busy[0].pid, signal.SIGSEGV)
        with pytest.raises(WorkerCrashed, match="only this request is lost"):
            await running
        return await pool.run(Job("ASK { ?s ?p ?o }"))

    assert run(with_pool(current, body)).kind == "boolean"


def test_memory_limit_kills_the_worker(current):
    async def body(pool):
        with pytest.raises(OutOfMemory, match="more than 300 MiB"):
            await pool.run(Job(GREEDY, timeout=60))
        return await pool.run(Job("ASK {}"))

    assert run(with_pool(current, body, memory_mb=300)).kind == "boolean"


def test_caps_refuse_instead_of_cutting(current):
    async def body(pool):
        with pytest.raises(ResultTooLarge, match="more than 100 rows"):
            await pool.run(Job("SELECT * WHERE { ?s ?p ?o }", max_rows=100))
        with pytest.raises(ResultTooLarge, match="more than 100 triples|more than 100 rows"):
            await pool.run(Job("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=100))
        with pytest.raises(ResultTooLarge, match="larger than 10,000 bytes"):
            await pool.run(Job("SELECT * WHERE { ?s ?p ?o } LIMIT 90", max_bytes=10_000))
        return await pool.run(Job("SELECT * WHERE { ?s ?p ?o } LIMIT 100", max_rows=100))

    assert run(with_pool(current, body)).rows == 100


def test_full_queue_is_busy_not_waiting(current):
    async def body(pool):
        slow = asyncio.ensure_future(pool.run(Job(CROSS_JOIN, timeout=3)))
        await asyncio.sleep(0.3)
        with pytest.raises(Busy) as refused:
            await pool.run(Job("ASK {}"))
        with pytest.raises(QueryTimeout):
            await slow
        return refused.value.retry_after

    assert run(with_pool(current, body, size=1, queue=0)) >= 1


def test_workers_cannot_reach_the_network(current):
    """Even a SERVICE query that got past the gate cannot make the worker open a connection."""
    with recording_server() as (url, seen):
        endpoint = f"{url}/sparql"

        async def body(pool):
            with pytest.raises(QueryError, match="Permission denied|denied"):
                await pool.run(Job(f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"))
            from_graph = await pool.run(Job(f"SELECT * FROM <{endpoint}> WHERE {{ ?s ?p ?o }} LIMIT 1"))
            assert from_graph.rows == 0  # FROM names a graph of the store (none such), never fetched
            return [w.info["networkless"] for w in pool.workers]

        assert all(run(with_pool(current, body)))
    assert seen == []


def proc_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_a_stopped_idle_worker_is_replaced_before_it_gets_work(current):
    """SIGSTOP every idle worker: the next cheap queries are answered at once by replacements, instead of
    waiting for the deadline on a worker that cannot answer."""

    async def body(pool):
        stopped = {w.pid for w in pool.workers}
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        for _ in range(100):  # the signal is delivered asynchronously
            if all(proc_state(pid) == "T" for pid in stopped):
                break
            await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        started = loop.time()
        answers = [await pool.run(Job("ASK {}", timeout=5.0)) for _ in range(4)]
        took = loop.time() - started
        return stopped, answers, took, {w.pid for w in pool.workers}, pool.replaced

    stopped, answers, took, now, replaced = run(with_pool(current, body))
    assert all(a.kind == "boolean" for a in answers) and took < 5.0
    assert stopped.isdisjoint(now) and replaced >= len(stopped)
