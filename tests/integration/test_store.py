"""The embedded FalkorDB server and the store interface."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import redis

from colearn.config import Settings
from colearn.errors import ColearnError, Conflict
from colearn.graph import queries
from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore, open_store
from colearn.processes import start_ticks

pytestmark = pytest.mark.falkordb_only  # tests the embedded FalkorDB itself


def test_store_satisfies_protocol(store: GraphStore) -> None:
    assert isinstance(store, GraphStore)
    assert store.backend == "falkordb"


def test_unique_id_is_enforced(store: GraphStore) -> None:
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": "b1", "props": {"name": "One"}}]})
    with pytest.raises(Conflict):
        store.write("CREATE (:Badge {id: 'b1'})")
    assert store.read(queries.count_nodes(Label.BADGE)) == [{"n": 1}]


def test_apply_schema_twice_is_harmless(store: GraphStore) -> None:
    store.apply_schema()
    store.apply_schema()
    store.write("CREATE (:Learner {id: 'l1'})")
    with pytest.raises(Conflict):
        store.write("CREATE (:Learner {id: 'l1'})")


def test_read_transaction_refuses_writes(store: GraphStore) -> None:
    with pytest.raises(ColearnError):
        store.read("CREATE (:Learner {id: 'sneaky'})")
    assert store.read(queries.count_nodes(Label.LEARNER)) == [{"n": 0}]


def test_failed_batch_writes_nothing(store: GraphStore) -> None:
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "l1", "props": {}}]})
    rows = [{"id": f"l{i}"} for i in range(2, 50)] + [{"id": "l1"}] + [{"id": "l99"}]
    with pytest.raises(Conflict):
        store.write("UNWIND $rows AS r CREATE (:Learner {id: r.id})", {"rows": rows})
    assert store.read(queries.count_nodes(Label.LEARNER)) == [{"n": 1}]


def test_server_is_reused_for_the_same_directory(falkordb_server: EmbeddedFalkorDB) -> None:
    again = EmbeddedFalkorDB.for_data_dir(falkordb_server.data_dir)
    assert again.port == falkordb_server.port


def test_another_process_reuses_the_running_server(falkordb_server: EmbeddedFalkorDB) -> None:
    code = textwrap.dedent(f"""
        from colearn.graph.falkordb_store import EmbeddedFalkorDB
        s = EmbeddedFalkorDB.for_data_dir({str(falkordb_server.data_dir)!r})
        print(s.port, s.owned)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(falkordb_server.port), "False"]
    # the other process exited without stopping the server it did not own
    assert EmbeddedFalkorDB.for_data_dir(falkordb_server.data_dir).port == falkordb_server.port


def test_a_copy_of_a_live_data_dir_gets_its_own_store_and_keeps_its_writes(tmp_path: Path) -> None:
    # A backup or staging copy carries falkordb.json naming the original's running store;
    # writes through the copy must not land in the original.
    live = EmbeddedFalkorDB.for_data_dir(tmp_path / "live")
    copy_server = None
    try:
        FalkorDBStore(live.host, live.port, "g", server=live).write("CREATE (:Learner {id: 'before'})")
        shutil.copytree(live.data_dir, tmp_path / "copy")
        copy_server = EmbeddedFalkorDB.for_data_dir(tmp_path / "copy")
        assert copy_server.owned and copy_server.port != live.port
        FalkorDBStore(copy_server.host, copy_server.port, "g", server=copy_server).write("CREATE (:Learner {id: 'via-copy'})")
        count = "MATCH (l:Learner) RETURN collect(l.id) AS ids"
        assert FalkorDBStore(live.host, live.port, "g", server=live).read(count) == [{"ids": ["before"]}]
        assert sorted(FalkorDBStore(copy_server.host, copy_server.port, "g", server=copy_server).read(count)[0]["ids"]) == \
            ["before", "via-copy"]
        assert json.loads((tmp_path / "copy" / "falkordb.json").read_text())["port"] == copy_server.port
    finally:
        if copy_server is not None:
            copy_server.stop()
        live.stop()


def test_a_record_naming_this_dir_is_not_trusted_when_its_store_serves_another(tmp_path: Path) -> None:
    live = EmbeddedFalkorDB.for_data_dir(tmp_path / "live")
    other = tmp_path / "other"
    other.mkdir()
    assert live.process is not None
    (other / "falkordb.json").write_text(json.dumps({"pid": live.process.pid, "port": live.port,
                                                     "dir": str(other.resolve())}))
    mine = EmbeddedFalkorDB.for_data_dir(other)
    try:
        assert mine.owned and mine.port != live.port
    finally:
        mine.stop()
        live.stop()


def test_the_store_refuses_a_client_without_its_password_kept_in_a_0600_record(
        falkordb_server: EmbeddedFalkorDB) -> None:
    # Any local user can reach 127.0.0.1: the graph (key hashes included) answers only to
    # the password in falkordb.json, which only the data dir's owner can read.
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=falkordb_server.port).execute_command(
            "GRAPH.RO_QUERY", "colearn", "MATCH (k:ApiKey) RETURN properties(k)")
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=falkordb_server.port, password="guess").ping()
    state = falkordb_server.data_dir / "falkordb.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    password = json.loads(state.read_text())["password"]
    assert password == falkordb_server.password and len(password) >= 32
    assert redis.Redis(host="127.0.0.1", port=falkordb_server.port, password=password).ping()
    assert falkordb_server.process is not None  # nor is it on the command line, which anyone can read
    assert password not in Path(f"/proc/{falkordb_server.process.pid}/cmdline").read_text()


def test_data_survives_a_restart_and_owner_shuts_down_cleanly(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "store", graph_name="persist")
    code = textwrap.dedent("""
        import sys
        from colearn.config import Settings
        from colearn.graph.store import open_store
        from colearn.graph import queries
        from colearn.graph.schema import Label
        store = open_store(Settings(data_dir=sys.argv[1], graph_name="persist"))
        store.write(queries.merge_nodes(Label.LEARNER),
                    {"rows": [{"id": f"l{i}", "props": {"n": i}} for i in range(100)]})
        store.close()
    """)
    subprocess.run([sys.executable, "-c", code, str(settings.data_dir)], check=True, timeout=60)
    # the owning process exited: its server is gone and its state file removed
    assert not (settings.data_dir / "falkordb.json").exists()
    assert any((settings.data_dir / "appendonlydir").iterdir())
    store = open_store(settings)
    try:
        assert store.read(queries.count_nodes(Label.LEARNER)) == [{"n": 100}]
        assert store.read("MATCH (l:Learner {id: 'l42'}) RETURN l.n AS n") == [{"n": 42}]
    finally:
        store.close()
        EmbeddedFalkorDB.for_data_dir(settings.data_dir).stop()


def test_state_file_of_a_dead_server_is_ignored(tmp_path: Path) -> None:
    data = tmp_path / "stale"
    data.mkdir()
    (data / "falkordb.json").write_text('{"pid": 999999, "port": 1}')
    server = EmbeddedFalkorDB.for_data_dir(data)
    try:
        assert server.owned and server.port != 1
        assert FalkorDBStore(server.host, server.port, "g", server=server).read("RETURN 1 AS one") == [{"one": 1}]
    finally:
        server.stop()


def test_the_state_file_names_a_server_before_it_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whoever sees the server answer (a health check after a restart) must read its pid
    # from the state file, so the file is written before the wait for the first answer.
    from colearn.graph import falkordb_server

    seen: list[dict[str, int]] = []
    wait_ready = falkordb_server._wait_ready

    def record_then_wait(port: int, pid: int, *args: object) -> None:
        seen.append(json.loads((tmp_path / "falkordb.json").read_text()) | {"launched": pid, "asked": port})
        wait_ready(port, pid, *args)

    monkeypatch.setattr(falkordb_server, "_wait_ready", record_then_wait)
    server = EmbeddedFalkorDB.for_data_dir(tmp_path)
    try:
        assert server.process is not None
        assert seen == [{"pid": server.process.pid, "port": server.port, "dir": str(tmp_path.resolve()),
                         "password": server.password, "owner": os.getpid(), "owner_start": start_ticks(os.getpid()),
                         "launched": server.process.pid, "asked": server.port}]
        assert sorted(p.name for p in tmp_path.glob("*falkordb.json*")) == ["falkordb.json"]
    finally:
        server.stop()
