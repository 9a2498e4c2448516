"""Job ids, retry intervals, and jobs written the way RQ writes them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st
from rq.job import Job

from pipeline import atomic, ingest, jobwriter
from pipeline.models import Stage
from pipeline.queues import JOB_FUNC, enqueue, job_id, parse_job_id, retry_intervals, stage_queue
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import lead_row, write_csv


@given(st.text("0123456789abcdef", min_size=16, max_size=16), st.sampled_from(list(Stage)), st.integers(1, 10**6))
def test_job_ids_use_only_rq_safe_characters_and_parse_back(key: str, stage: Stage, generation: int) -> None:
    jid = job_id(key, stage, generation)
    assert all(c.isalnum() or c in "-_" for c in jid)
    assert parse_job_id(jid) == (key, stage, generation)


@given(st.integers(0, 12), st.floats(0.5, 60), st.floats(1, 900), st.integers(0, 2**32))
def test_retry_intervals_are_full_jitter_under_the_cap(retries: int, base: float, cap: float, seed: int) -> None:
    intervals = retry_intervals(retries, base, cap, random.Random(seed))
    assert len(intervals) == retries
    for i, delay in enumerate(intervals):
        assert 0 <= delay <= round(min(cap, base * 2**i))


def test_retry_intervals_are_spread_not_fixed() -> None:
    rng = random.Random(7)
    firsts = {retry_intervals(3, 60, 600, rng)[2] for _ in range(50)}
    assert len(firsts) > 10


@pytest.mark.parametrize(
    ("strategy", "ceilings"),
    [("fixed", [10, 10, 10, 10]), ("linear", [10, 20, 30, 40]), ("exponential", [10, 20, 40, 80])],
)
def test_each_retry_strategy_keeps_every_delay_under_its_own_ceiling(strategy: str, ceilings: list[int]) -> None:
    rng = random.Random(7)
    samples = [retry_intervals(4, 10, 1000, rng, strategy) for _ in range(400)]
    for i, ceiling in enumerate(ceilings):
        column = [s[i] for s in samples]
        assert max(column) <= ceiling
        assert max(column) >= ceiling * 0.9  # full jitter reaches the ceiling, so the strategies differ


def test_ingest_writes_each_scrape_job_as_rq_itself_writes_it(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    path = write_csv(tmp_path / "a.csv", [lead_row("Bloom", "bloom.example.com", "a@bloom.example.com")])
    report = ingest.ingest_file(path, conn, settings)
    [key] = Store(conn).run_leads(report.run_id)
    jid = job_id(key, Stage.SCRAPE, 1)
    ours = conn.hgetall(f"rq:job:{jid}")
    conn.delete(f"rq:job:{jid}")
    enqueue(conn, Stage.SCRAPE, [(key, 1)], settings)  # RQ's own enqueue_many
    theirs = conn.hgetall(f"rq:job:{jid}")

    per_job = {b"created_at", b"enqueued_at", b"retry_intervals"}  # timestamps, fresh jitter
    assert ours.keys() == theirs.keys()
    assert {k: v for k, v in ours.items() if k not in per_job} == {k: v for k, v in theirs.items() if k not in per_job}
    assert len(json.loads(ours[b"retry_intervals"])) == len(json.loads(theirs[b"retry_intervals"]))
    job = Job.fetch(jid, connection=conn)
    assert (job.func_name, job.args) == (JOB_FUNC, (key, "scrape", 1))
    assert stage_queue(conn, Stage.SCRAPE).job_ids == [jid, jid]  # ours, then RQ's push of the same id


@pytest.mark.parametrize("stage", [Stage.BUILD, Stage.EMAIL])
def test_a_commit_enqueues_the_next_stage_as_rq_itself_enqueues_it(
    conn: redis.Redis, settings: Settings, stage: Stage
) -> None:
    key = "0123456789abcdef"
    jid = job_id(key, stage, 3)
    pipe = atomic.recorder(conn)
    jobwriter.enqueue_one(conn, stage, key, 3, settings, pipe)
    atomic.apply(conn, pipe)
    ours = conn.hgetall(f"rq:job:{jid}")
    conn.delete(f"rq:job:{jid}")
    enqueue(conn, stage, [(key, 3)], settings)  # RQ's own enqueue_many
    theirs = conn.hgetall(f"rq:job:{jid}")

    per_job = {b"created_at", b"enqueued_at", b"retry_intervals"}  # timestamps, fresh jitter
    assert ours.keys() == theirs.keys()
    assert {k: v for k, v in ours.items() if k not in per_job} == {k: v for k, v in theirs.items() if k not in per_job}
    job = Job.fetch(jid, connection=conn)
    assert (job.func_name, job.args, job.origin) == (JOB_FUNC, (key, stage.value, 3), stage.value)
    assert stage_queue(conn, stage).job_ids == [jid, jid]  # ours, then RQ's push of the same id
    assert conn.smembers("rq:queues") == {f"rq:queue:{stage.value}".encode()}


def test_a_forked_child_draws_its_own_jitter() -> None:
    import multiprocessing

    from pipeline import queues

    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=lambda: sender.send(queues.retry_intervals(8, 60, 10**6)))
    child.start()
    theirs = receiver.recv()
    child.join()
    assert theirs != queues.retry_intervals(8, 60, 10**6)  # a copied generator would draw the same


def _queued(writer: jobwriter.JobWriter, key: str) -> atomic.Queued:
    job_key, jid, items = writer.job_hash(key, 1, "2026-12-07T10:00:00.000000Z")
    return atomic.Queued(f"pl:lead:{key}", json.dumps({"key": key}), key, job_key, jid, items)


def test_queued_records_are_created_once_with_their_jobs_in_order(conn: redis.Redis, settings: Settings) -> None:
    writer = jobwriter.JobWriter(conn, Stage.SCRAPE, settings)
    conn.set("pl:lead:bbbb", "earlier")  # a lead an earlier file brought: nothing of it is written again
    records = [_queued(writer, key) for key in ("aaaa", "bbbb", "cccc")]
    kw = {"shared": writer.shared_fields(), "state_set": "st", "run_set": "run", "queue": writer.queue.key}
    args = atomic.pack_queued(records, **kw, queues=writer.queue.redis_queues_keys)
    assert atomic.run_queued(conn, args) == [1]
    assert conn.get("pl:lead:bbbb") == b"earlier" and not conn.exists(records[1].job_key)
    assert conn.get("pl:lead:aaaa") == b'{"key": "aaaa"}'
    assert conn.smembers("st") == conn.smembers("run") == {b"aaaa", b"cccc"}
    assert conn.lrange(writer.queue.key, 0, -1) == [records[0].job_id.encode(), records[2].job_id.encode()]
    assert conn.sismember(writer.queue.redis_queues_keys, writer.queue.key)
    job = Job.fetch(records[2].job_id, connection=conn)  # RQ reads it as its own
    assert job.args == ("cccc", "scrape", 1) and job.func_name == JOB_FUNC
    assert atomic.run_queued(conn, args) == [0, 1, 2]  # again: every record exists, nothing is added
    assert conn.llen(writer.queue.key) == 2


def test_a_batch_bigger_than_lua_can_unpack_at_once_is_written_whole(conn: redis.Redis) -> None:
    records = [atomic.Queued(f"pl:lead:{i}", "{}", str(i), f"j:{i}", f"id{i}", ("f", "v")) for i in range(9000)]
    args = atomic.pack_queued(records, shared=(), state_set="st", run_set="run", queue="q", queues="qs")
    assert atomic.run_queued(conn, args) == []
    assert conn.scard("st") == conn.scard("run") == conn.llen("q") == 9000
    assert conn.lindex("q", 0) == b"id0" and conn.lindex("q", -1) == b"id8999"
