"""The playground's server without a browser: the API, its refusals, training, shutdown."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from playhelpers import Client

import vecnn
from vecnn.playground import server as server_module
from vecnn.playground.server import Playground
from vecnn.playground.session import Session
from vecnn.playground.validation import MAX_UPLOAD_BYTES


def wait_for(condition, timeout: float = 20.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"still false after {timeout} s: {condition}")


def stepped(client: Client, session: str, steps: int) -> dict:
    """Take exactly ``steps`` mini-batches and return the state once they are done."""
    before = client.get(f"/api/state?session={session}")["step"]
    client.post(f"/api/control?session={session}", {"action": "step", "steps": steps})
    return wait_for(
        lambda: (s := client.get(f"/api/state?session={session}"))["step"] == before + steps and s
    )


def test_state_has_the_documented_fields(client: Client):
    state = client.get("/api/state")  # no session yet: one is made, as a tab would
    assert isinstance(state["step"], int) and state["step"] == 0
    assert isinstance(state["loss"], float) and state["loss"] > 0
    assert state["sizes"] == [2, 8, 1]
    W1 = state["layers"][0]["W"]
    assert W1["shape"] == [8, 2] and np.array(W1["data"]).shape == (8, 2)
    assert state["layers"][0]["A"]["shape"][0] == 8


def test_layer_sizes_give_the_shapes_of_the_notation(client: Client):
    state = client.post(
        "/api/session", {"hidden": [5, 3], "dataset": "blobs", "classes": 4, "head": "softmax"}
    )
    assert state["sizes"] == [2, 5, 3, 4]
    shapes = [(layer["W"]["shape"], layer["b"]["shape"]) for layer in state["layers"]]
    assert shapes == [([5, 2], [5, 1]), ([3, 5], [3, 1]), ([4, 3], [4, 1])]
    setup = client.get(f"/api/setup?session={state['session']}")
    assert any("W[2] (3×5)" in line for line in setup["equations"])
    assert "softmax_cross_entropy_with_logits" in setup["graph"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"lr": NaN}', "malformed JSON"),
        (json.dumps({"layers": [4]}).encode(), "unknown field(s) layers"),
        (json.dumps({"hidden": [257]}).encode(), "n[1] must be an integer between 1 and 256"),
        (json.dumps({"hidden": [4] * 8}).encode(), "L ≤ 8"),
        (json.dumps({"m": 10_001}).encode(), "m must be between 10 and 10,000"),
        (json.dumps({"lr": "0.1; import os"}).encode(), "lr must be a finite number"),
        (b'{"noise": 1' + b"0" * 400 + b"}", "noise must be between 0 and 1"),  # > float's range
        (b'{"lr": -1' + b"0" * 400 + b"}", "lr must be between 1e-06 and 10"),
        (json.dumps({"dataset": "__import__('os')"}).encode(), "dataset must be one of"),
        (json.dumps({"head": "sigmoid", "dataset": "blobs", "classes": 3}).encode(), "K = 3"),
    ],
)
def test_bad_settings_are_refused_with_a_message(client: Client, body: bytes, message: str):
    status, answer = client.request("/api/session", raw=body)
    assert status == 400
    assert message in answer["error"]


def test_bad_requests_leave_the_run_as_it_was(client: Client):
    state = client.post("/api/session", {"hidden": [3]})
    session = state["session"]
    status, answer = client.request(f"/api/configure?session={session}", {"hidden": [0]})
    assert status == 400 and "n[1]" in answer["error"]
    status, answer = client.request(f"/api/control?session={session}", {"action": "eval"})
    assert status == 400 and "action must be one of" in answer["error"]
    assert client.get(f"/api/state?session={session}")["sizes"] == [2, 3, 1]
    status, answer = client.request("/api/state?session=nope")
    assert status == 404 and "reload the page" in answer["error"]


def test_an_upload_over_5_mb_is_refused_before_it_is_read(client: Client, playground):
    session = client.post("/api/session", {})["session"]
    connection = http.client.HTTPConnection("127.0.0.1", playground.port, timeout=10)
    connection.putrequest("POST", f"/api/upload?session={session}")
    connection.putheader("Content-Length", str(MAX_UPLOAD_BYTES + 100_000))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 400
    assert "limit" in json.loads(response.read())["error"]
    connection.close()


def test_a_csv_upload_trains_on_its_points(client: Client):
    session = client.post("/api/session", {"hidden": [4]})["session"]
    rng = np.random.default_rng(0)
    rows = ["width,height,kind"]
    for _ in range(60):
        x, y = rng.normal(size=2)
        rows.append(f"{x:.3f},{y:.3f},{'big' if x + y > 0 else 'small'}")
    state = client.post(
        f"/api/upload?session={session}",
        {"csv": "\n".join(rows), "target": "kind", "name": "k.csv"},
    )
    setup = client.get(f"/api/setup?session={session}")
    assert setup["classes"] == ["big", "small"] and setup["features"] == ["width", "height"]
    assert state["sizes"] == [2, 4, 1]
    status, answer = client.request(
        f"/api/upload?session={session}", {"csv": "a,b,c,kind\n1,2,3,x\n", "target": "kind"}
    )
    assert status == 400 and "exactly two feature columns" in answer["error"]
    status, answer = client.request(
        f"/api/upload?session={session}", {"csv": "a,b,kind\n1,oops,x\n", "target": "kind"}
    )
    assert status == 400 and "line 2, column 'b'" in answer["error"]


def test_training_on_xor_lowers_the_loss(client: Client):
    state = client.post("/api/session", {"dataset": "xor", "hidden": [8], "speed": 0})
    session, first = state["session"], state["loss"]
    state = stepped(client, session, 300)
    assert state["loss"] < 0.5 * first
    assert state["accuracy"] > 0.9 and state["val_accuracy"] > 0.85
    assert state["curves"]["step"][0] == 0 and state["curves"]["step"][-1] == 300


def test_train_runs_until_pause_and_reset_starts_again(client: Client):
    state = client.post("/api/session", {"speed": 0})
    session, W0 = state["session"], state["layers"][0]["W"]["data"]
    client.post(f"/api/control?session={session}", {"action": "train"})
    wait_for(lambda: client.get(f"/api/state?session={session}")["step"] > 50)
    client.post(f"/api/control?session={session}", {"action": "pause"})
    paused = wait_for(
        lambda: (s := client.get(f"/api/state?session={session}"))["status"] == "paused" and s
    )
    time.sleep(0.3)
    assert client.get(f"/api/state?session={session}")["step"] == paused["step"]
    state = client.post(f"/api/control?session={session}", {"action": "reset"})
    assert state["step"] == 0 and state["layers"][0]["W"]["data"] == W0


def test_two_sessions_train_independently(client: Client):
    a = client.post("/api/session", {"hidden": [4], "speed": 0})["session"]
    b = client.post("/api/session", {"hidden": [6, 6], "dataset": "circles", "speed": 0})["session"]
    client.post(f"/api/control?session={a}", {"action": "train"})
    stepped(client, b, 25)
    wait_for(lambda: client.get(f"/api/state?session={a}")["step"] > 25)
    client.post(f"/api/control?session={a}", {"action": "pause"})
    assert client.get(f"/api/state?session={b}")["step"] == 25
    assert client.get(f"/api/state?session={a}")["sizes"] == [2, 4, 1]
    assert client.get(f"/api/state?session={b}")["sizes"] == [2, 6, 6, 1]


def test_the_page_numbers_are_those_of_network_fit(client: Client):
    """W[1] after N steps equals vecnn.Network trained with the exported script's calls."""
    settings = {"hidden": [5], "batch_size": 10, "m": 120, "dropout": 0.2, "l2": 0.01}
    session = client.post("/api/session", settings)["session"]
    state = stepped(client, session, 23)
    from vecnn.playground.datasets import make_dataset, split
    from vecnn.playground.network import build_network, fit_arguments
    from vecnn.playground.validation import parse_settings

    chosen = parse_settings(settings)
    X, y = make_dataset("xor", 120, chosen.noise, 2, chosen.seed)
    data = split(X, y, chosen.validation, chosen.seed, ["0", "1"])
    network = build_network(chosen, 2)

    class StopAfter(vecnn.Callback):
        def on_batch_end(self, network, step, logs):
            if step + 1 == 23:
                raise StopIteration

    with pytest.raises(StopIteration):
        network.fit(
            data.X, data.y, epochs=100, callbacks=[StopAfter()], **fit_arguments(chosen, data)
        )
    np.testing.assert_allclose(state["layers"][0]["W"]["data"], network.layers[0].W.data, rtol=1e-6)


@pytest.mark.slow
def test_the_exported_files_reproduce_the_run(client: Client, tmp_path: Path):
    session = client.post("/api/session", {"hidden": [4, 3], "batch_size": 8, "m": 100})["session"]
    state = stepped(client, session, 17)
    status, model = client.request(f"/api/export/model?session={session}")
    assert status == 200
    (tmp_path / "page.vecnn").write_bytes(model)
    loaded = vecnn.load(tmp_path / "page.vecnn")
    np.testing.assert_array_equal(loaded.layers[0].W.data, state["layers"][0]["W"]["data"])
    status, script = client.request(f"/api/export/script?session={session}")
    assert status == 200
    (tmp_path / "run.py").write_bytes(script)
    done = subprocess.run(
        [sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rerun = vecnn.load(tmp_path / "playground.vecnn")
    for page_layer, layer in zip(state["layers"], rerun.layers, strict=True):
        np.testing.assert_allclose(page_layer["W"]["data"], layer.W.data, rtol=1e-6)


def test_events_stream_the_state_and_a_closed_tab_ends_its_run(playground, client, monkeypatch):
    monkeypatch.setattr(server_module, "DETACHED_GRACE_S", 0.5)
    session = client.post("/api/session", {"speed": 0})["session"]
    connection = http.client.HTTPConnection("127.0.0.1", playground.port, timeout=10)
    connection.request("GET", f"/api/events?session={session}")
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    assert response.readline() == b"event: state\n"
    state = json.loads(response.readline().removeprefix(b"data: "))
    assert state["session"] == session and state["step"] == 0
    client.post(f"/api/control?session={session}", {"action": "train"})
    run = playground.sessions[session]
    wait_for(lambda: run.step > 10)
    response.close()  # the tab goes away
    connection.close()
    wait_for(lambda: session not in playground.sessions, timeout=10)
    assert run.closed and run.thread is not None
    wait_for(lambda: not run.thread.is_alive(), timeout=10)


@pytest.mark.parametrize("path", ["/api/close", "/api/session"])
def test_a_negative_content_length_is_refused_at_once(playground, path: str):
    host, port = playground.url.split("//")[1].rstrip("/").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(4096):  # the server answers and closes, at once
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400") and b"is negative" in answer


def test_a_foreign_host_header_is_refused(client: Client):
    status, answer = client.request("/api/state", headers={"Host": "evil.example:80"})
    assert status == 400 and "not this machine" in answer["error"]


def test_the_page_loads_nothing_from_elsewhere(client: Client):
    status, page = client.request("/")
    assert status == 200 and b"<title>" in page
    static = Path(server_module.__file__).parent / "static"
    for path in static.iterdir():
        text = path.read_text(encoding="utf-8")
        text = text.replace("http://www.w3.org/2000/svg", "")  # a name, never fetched
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path
        assert "@import" not in text and "url(http" not in text, path
    status, _ = client.request("/static/../server.py")
    assert status == 404


def test_close_stops_every_run_and_thread():
    before = set(threading.enumerate())
    playground = Playground().start()
    client = Client(playground.url)
    for _ in range(2):
        session = client.post("/api/session", {"speed": 0})["session"]
        client.post(f"/api/control?session={session}", {"action": "train"})
    runs = list(playground.sessions.values())
    wait_for(lambda: all(run.step > 0 for run in runs))
    playground.close()
    assert all(run.closed for run in runs)
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", playground.port, timeout=2).request("GET", "/")


def test_a_session_needs_no_server():
    run = Session()
    run.control("step", 3)
    wait_for(lambda: run.step == 3)
    run.close()
    assert not run.thread.is_alive()


@pytest.mark.slow
def test_the_command_prints_its_address_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "vecnn", "playground", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("vecnn playground: serving on http://127.0.0.1:"), line
        url = line.split()[4]
        assert Client(url).get("/api/state")["step"] == 0
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, err
    assert "stopped" in out


def test_another_host_is_served_with_a_warning(capsys):
    from vecnn.playground import command

    class Args:
        host, port, no_browser = "0.0.0.0", 0, True

    def interrupt(self):
        raise KeyboardInterrupt

    original = Playground.serve_forever
    Playground.serve_forever = interrupt
    try:
        assert command.run(Args()) == 0
    finally:
        Playground.serve_forever = original
    err = capsys.readouterr().err
    assert "warning: serving on 0.0.0.0" in err


def test_without_a_display_the_address_is_printed_instead(monkeypatch, capsys):
    from vecnn.playground import command

    opened = []
    monkeypatch.setattr(command.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(command.webbrowser, "open", opened.append)
    command._open_browser("http://127.0.0.1:1/")
    assert not opened
    assert "open http://127.0.0.1:1/ in a browser" in capsys.readouterr().out


@pytest.mark.parametrize(
    "settings",
    [
        {"dataset": "blobs", "classes": 4, "head": "ovr"},
        {"dataset": "spirals", "classes": 3, "head": "softmax", "dropout": 0.3},
        {"dataset": "moons", "head": "sigmoid", "loss": "mse", "optimizer": "sgd", "lr": 0.5},
        {"dataset": "circles", "head": "softmax", "loss": "mse", "batch_size": None},
        {"dataset": "blobs", "classes": 3, "head": "ovr", "loss": "mse", "l2": 0.1},
    ],
)
def test_every_head_and_loss_trains(client: Client, settings: dict):
    state = client.post("/api/session", {**settings, "speed": 0, "hidden": [6]})
    session, first = state["session"], state["loss"]
    state = stepped(client, session, 60)
    assert state["status"] == "paused" and not state["message"]
    assert state["loss"] < first
    K = state["sizes"][-1]
    assert state["layers"][-1]["dZ"]["shape"] == [K, min(32, state["batch_m"])]
    assert len(state["regions"]["p"]) == 48 * 48


def test_a_diverging_run_says_so_and_keeps_its_last_weights(client: Client):
    state = client.post(
        "/api/session",
        {
            "optimizer": "sgd",
            "lr": 10.0,
            "hidden": [64, 64, 64],
            "activation": "linear",
            "speed": 0,
        },
    )
    session = state["session"]
    client.post(f"/api/control?session={session}", {"action": "train"})
    state = wait_for(
        lambda: (s := client.get(f"/api/state?session={session}"))["status"] == "diverged" and s
    )
    assert "Try a lower learning rate (lr=10 now)" in state["message"]
    assert all(np.isfinite(np.array(layer["W"]["data"])).all() for layer in state["layers"])
    state = client.post(f"/api/control?session={session}", {"action": "train"})
    assert state["status"] == "diverged"  # until Reset
    state = client.post(f"/api/control?session={session}", {"action": "reset"})
    assert state["status"] == "ready" and state["step"] == 0 and not state["message"]


def test_A_and_dZ_are_those_of_the_last_steps_batch(client: Client):
    state = client.post("/api/session", {"hidden": [6], "batch_size": 8})
    assert state["batch_m"] == 32  # before the first step: the first 32 training examples
    assert state["layers"][0]["A"]["shape"] == [6, 32]
    state = stepped(client, state["session"], 5)
    assert state["batch_m"] == 8
    assert state["layers"][0]["A"]["shape"] == [6, 8]
    A_L = np.array(state["layers"][1]["A"]["data"])
    dZ_L = np.array(state["layers"][1]["dZ"]["data"])
    # sigmoid with the binary cross-entropy: dZ[L] = A[L] − Y, Y of 0s and 1s
    Y = A_L - dZ_L
    np.testing.assert_allclose(Y, np.round(Y), atol=2e-4)
    assert set(np.round(Y).ravel()) <= {0.0, 1.0}


def test_a_full_batch_shows_its_first_32_columns(client: Client):
    state = client.post("/api/session", {"hidden": [3], "batch_size": None, "m": 100})
    state = stepped(client, state["session"], 1)
    assert state["batch_m"] == 80
    assert state["layers"][0]["dZ"]["shape"] == [3, 32]


def test_concurrent_requests_leave_one_consistent_run(client: Client, playground):
    session = client.post("/api/session", {"speed": 0})["session"]
    bodies = [("/api/configure", {"hidden": [n]}) for n in (3, 5, 7, 4)]
    bodies += [("/api/control", {"action": "step", "steps": 2})] * 4
    threads = [
        threading.Thread(target=client.request, args=(f"{path}?session={session}", body))
        for path, body in bodies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run = playground.sessions[session]
    # idle: no step under way ("paused" is set only between steps) and that step published
    wait_for(
        lambda: (
            run.status in ("ready", "paused")
            and run.credits == 0
            and run.published_step == run.step
        )
    )
    trainers = [t for t in threading.enumerate() if t.name == f"vecnn-playground-{session[:6]}"]
    assert len(trainers) <= 1
    state = stepped(client, session, 5)
    n1 = run.settings.hidden[0]
    assert state["sizes"] == [2, n1, 1] and state["layers"][0]["W"]["shape"] == [n1, 2]


def test_the_exported_model_fires_at_the_pages_theta(client: Client, tmp_path: Path):
    session = client.post("/api/session", {"hidden": [], "dataset": "blobs", "classes": 2})
    session = session["session"]
    stepped(client, session, 20)
    status, model = client.request(f"/api/export/model?session={session}&theta=0.8")
    assert status == 200
    (tmp_path / "m.vecnn").write_bytes(model)
    assert vecnn.load(tmp_path / "m.vecnn").threshold == 0.8
    status, script = client.request(f"/api/export/script?session={session}&theta=0.8")
    assert b"network.threshold = 0.8" in script
    status, answer = client.request(f"/api/export/model?session={session}&theta=1.5")
    assert status == 400 and "theta must be in (0, 1)" in answer["error"]
    status, model = client.request(f"/api/export/model?session={session}")
    (tmp_path / "n.vecnn").write_bytes(model)
    assert vecnn.load(tmp_path / "n.vecnn").threshold == 0.5  # the run kept its own
