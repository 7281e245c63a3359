"""The page in a real browser: Playwright driving Debian's ``chromium`` (never a download).

Skipped, with the reason, only where the ``playwright`` package or a chromium binary is
missing (``.ci/run`` installs chromium). Screenshots go to ``test-artifacts/playground``
(ignored by git; ``VECNN_TEST_ARTIFACTS`` moves it).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import vecnn
from vecnn.playground.datasets import make_dataset, split
from vecnn.playground.network import build_network, fit_arguments
from vecnn.playground.server import Playground
from vecnn.playground.validation import Settings

pytestmark = pytest.mark.slow

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing: pip install -e '.[dev]'"
)
CHROMIUM = os.environ.get("VECNN_CHROMIUM") or next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
if CHROMIUM is None:
    pytest.skip(
        "no chromium binary (apt-get install -y --no-install-recommends chromium, or set "
        "VECNN_CHROMIUM); `playwright install` is not used: it downloads a browser",
        allow_module_level=True,
    )
ARTIFACTS = (
    Path(os.environ.get("VECNN_TEST_ARTIFACTS") or Path(__file__).parents[2] / "test-artifacts")
    / "playground"
)


@pytest.fixture(scope="module")
def server() -> Iterator[Playground]:
    playground = Playground().start()
    try:
        yield playground
    finally:
        playground.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, server, request):
    """A fresh tab on the playground; fails the test on any console error it logged."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.errors = errors
    tab.goto(server.url)
    tab.wait_for_selector('.matrix[data-name="W[1]"] figcaption')
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    expected = getattr(tab, "expected_errors", 0)
    assert len(errors) == expected, f"console errors: {errors}"


def until(tab, expression: str, timeout: float = 30.0) -> None:
    """Poll ``expression`` in the page until it is true (``wait_for_function`` would
    evaluate a string, which the page's Content-Security-Policy forbids, as it should)."""
    deadline = time.monotonic() + timeout
    while not tab.evaluate(expression):
        if time.monotonic() > deadline:
            shown = tab.evaluate(
                "({step: document.querySelector('#step').textContent,"
                " status: document.querySelector('#status').textContent,"
                " error: document.querySelector('#error').textContent,"
                " session: window.playground.session})"
            )
            raise AssertionError(f"still false after {timeout} s: {expression}; page: {shown}")
        time.sleep(0.05)


def number(tab, selector: str) -> float:
    return float(tab.text_content(selector))


def caption(tab, name: str) -> str:
    return tab.text_content(f'.matrix[data-name="{name}"] figcaption')


def set_field(tab, name: str, value: str) -> None:
    field = tab.locator(f'[name="{name}"]')
    if field.evaluate("element => element.tagName") == "SELECT":
        field.select_option(value)  # fires change itself
    else:
        field.fill(value)
        field.blur()  # the browser fires change, as when a user tabs away


def test_train_shows_steps_growing_and_the_loss_falling(page):
    assert caption(page, "W[1]") == "W[1] (n[1], n[0]) = (8, 2)"
    assert caption(page, "dZ[2]") == "dZ[2] (n[2], m) = (1, 32)"
    first_loss = number(page, "#loss")
    page.get_by_role("button", name="Train", exact=True).click()
    until(page, "Number(document.querySelector('#step').textContent) >= 40")
    page.get_by_role("button", name="Pause", exact=True).click()
    until(page, "document.querySelector('#status').textContent === 'paused'")
    assert number(page, "#step") >= 40
    assert number(page, "#loss") < first_loss
    assert "W[2] (8×1)" not in page.text_content("#equations")  # shapes are the network's
    assert "W[2] (1×8)" in page.text_content("#equations")
    assert page.locator("#graph svg .node").count() > 5


def test_changing_the_layers_changes_the_shapes(page):
    set_field(page, "hidden", "5,3")
    until(page, "document.querySelector('.matrix[data-name=\"W[3]\"] figcaption') !== null")
    assert caption(page, "W[1]") == "W[1] (n[1], n[0]) = (5, 2)"
    assert caption(page, "W[2]") == "W[2] (n[2], n[1]) = (3, 5)"
    assert caption(page, "b[2]") == "b[2] (n[2], 1) = (3, 1)"
    assert caption(page, "A[3]") == "A[3] (n[3], m) = (1, 32)"
    assert "W[2] (3×5)" in page.text_content("#equations")


def test_moving_theta_moves_the_single_neurons_boundary(page):
    set_field(page, "classes", "2")
    set_field(page, "dataset", "blobs")
    set_field(page, "hidden", "")
    until(
        page,
        "document.querySelector('.matrix[data-name=\"W[1]\"] figcaption').textContent"
        ".endsWith('= (1, 2)')",
    )
    time.sleep(0.5)  # past the form's 150 ms wait for further changes
    for k in range(1, 6):
        page.get_by_role("button", name="Step", exact=True).click()
        until(page, f"document.querySelector('#step').textContent === '{k}'")
    before = float(page.get_attribute("#regions", "data-positive-fraction"))
    line_before = page.text_content("#neuron")
    assert "logit(θ)" in line_before
    page.locator("#theta").fill("0.9")
    after = float(page.get_attribute("#regions", "data-positive-fraction"))
    assert after < before  # a higher threshold: fewer cells where the neuron fires
    assert page.text_content("#neuron") != line_before
    assert page.text_content("#theta-value") == "0.90"


def test_the_exported_model_loads_with_vecnn_load(page, tmp_path: Path):
    for _ in range(3):
        page.get_by_role("button", name="Step", exact=True).click()
    until(page, "document.querySelector('#step').textContent === '3'")
    with page.expect_download() as download:
        page.click("#export-model")
    path = tmp_path / "model.vecnn"
    download.value.save_as(path)
    network = vecnn.load(path)
    shown = np.array(page.evaluate("window.playground.state.layers[0].W.data"))
    np.testing.assert_array_equal(network.layers[0].W.data, shown)
    with page.expect_download() as download:
        page.click("#export-script")
    assert "vecnn.Network(layers" in Path(download.value.path()).read_text(encoding="utf-8")


def test_the_pages_W1_is_network_fits_after_n_steps(page):
    steps = 7
    for _ in range(steps):
        page.get_by_role("button", name="Step", exact=True).click()
    until(page, f"document.querySelector('#step').textContent === '{steps}'")
    shown = np.array(page.evaluate("window.playground.state.layers[0].W.data"))

    settings = Settings()  # the page's defaults
    X, y = make_dataset(settings.dataset, settings.m, settings.noise, 2, settings.seed)
    data = split(X, y, settings.validation, settings.seed, ["0", "1"])
    network = build_network(settings, 2)

    class StopAfter(vecnn.Callback):
        def on_batch_end(self, network, step, logs):
            if step + 1 == steps:
                raise StopIteration

    with pytest.raises(StopIteration):
        network.fit(
            data.X, data.y, epochs=10, callbacks=[StopAfter()], **fit_arguments(settings, data)
        )
    assert shown.shape == (8, 2)
    np.testing.assert_allclose(shown, network.layers[0].W.data, rtol=1e-6)


def test_a_refused_setting_is_shown_on_the_page(page):
    set_field(page, "hidden", "300")
    page.wait_for_selector("#error:not([hidden])")
    assert "n[1] must be an integer between 1 and 256" in page.text_content("#error")
    page.expected_errors = 1  # the browser logs the HTTP 400 itself


def test_closing_the_tab_ends_its_session(browser, server):
    tab = browser.new_page()
    tab.goto(server.url)
    tab.wait_for_selector('.matrix[data-name="W[1]"] figcaption')
    session = tab.evaluate("window.playground.session")
    tab.get_by_role("button", name="Train", exact=True).click()
    until(tab, "Number(document.querySelector('#step').textContent) > 2")
    run = server.sessions[session]
    tab.close()
    deadline = time.monotonic() + 15
    while session in server.sessions and time.monotonic() < deadline:
        time.sleep(0.1)
    assert session not in server.sessions
    run.thread.join(timeout=10)
    assert run.closed and not run.thread.is_alive()
