// The vecnn playground page: one session per tab, its state streamed by server-sent events.
// Every number shown comes from the server, which trains a real vecnn.Network.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const form = $("#settings");
  const page = { session: null, setup: null, state: null, setupVersion: -1, events: null };
  window.playground = page;  // for the curious (and the tests)

  // ------------------------------------------------------------------ the server
  // Requests that change the run go one after the other, in the order of the clicks.
  let queue = Promise.resolve();
  function inOrder(task) {
    queue = queue.then(task, task);
    return queue;
  }

  async function call(path, body) {
    const options = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    };
    const response = await fetch(path, options);
    const value = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok) {
      showError(value.error || `HTTP ${response.status}`);
      throw new Error(value.error);
    }
    showError(null);
    return value;
  }

  const withSession = (path) => `${path}?session=${encodeURIComponent(page.session)}`;

  function showError(message) {
    const box = $("#error");
    box.hidden = !message;
    box.textContent = message ? `The server refused this: ${message}` : "";
  }

  // ------------------------------------------------------------------ the settings
  function settings() {
    const data = new FormData(form);
    const number = (name) => Number(data.get(name));
    const hidden = String(data.get("hidden")).split(/[\s,]+/).filter((s) => s !== "");
    const batch = String(data.get("batch_size")).trim();
    const chosen = {
      dataset: data.get("dataset"),
      classes: number("classes"),
      noise: number("noise"),
      m: number("m"),
      validation: number("validation"),
      hidden: hidden.map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
      activation: data.get("activation"),
      head: data.get("head"),
      loss: data.get("loss"),
      optimizer: data.get("optimizer"),
      lr: number("lr"),
      batch_size: batch === "" ? null : Number(batch),
      l2: number("l2"),
      dropout: number("dropout"),
      seed: number("seed"),
      speed: number("speed"),
    };
    const target = String(data.get("target")).trim();
    if (target) chosen.target = target;
    const K = ["spirals", "blobs"].includes(chosen.dataset) ? chosen.classes : 2;
    if (K > 2 && chosen.head === "sigmoid") {  // one unit separates two classes only
      chosen.head = "softmax";
      form.elements.namedItem("head").value = "softmax";
    }
    return chosen;
  }

  function showSettings(values) {
    if (edits > 0) return;  // the user's newer choices stand
    for (const [name, value] of Object.entries(values)) {
      const field = form.elements.namedItem(name);
      if (!field || document.activeElement === field) continue;
      if (name === "hidden") field.value = value.join(",");
      else if (value === null) field.value = "";
      else field.value = String(value);
    }
  }

  // A change waits 150 ms for the next one (typing "8,4"), then goes to the server in
  // order. While changes are unanswered the form is ahead of the server: answers to
  // earlier requests must not write their (older) settings back into it.
  let pending = null;
  let edits = 0;
  form.addEventListener("change", (event) => {
    if (event.target.id === "csv-file") return;
    if (pending === null) edits++;
    clearTimeout(pending);
    pending = setTimeout(() => {
      pending = null;
      const chosen = settings();
      inOrder(async () => {
        try {
          if (chosen.dataset === "csv" && !(page.setup && page.setup.settings.dataset === "csv")) {
            const file = $("#csv-file").files[0];
            if (file) await upload(file);
            else showError("choose a CSV file to upload (two numeric columns and a target)");
            return;
          }
          await update(await call(withSession("/api/configure"), chosen));
        } catch (e) { /* shown */ } finally { edits--; }
      });
    }, 150);
  });
  form.addEventListener("submit", (event) => event.preventDefault());

  async function upload(file) {
    if (file.size > 5 * 1024 * 1024) {
      showError(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; the limit is 5 MB`);
      return;
    }
    const body = { csv: await file.text(), name: file.name };
    const target = String(new FormData(form).get("target")).trim();
    if (target) body.target = target;
    try { await update(await call(withSession("/api/upload"), body)); } catch (e) { /* shown */ }
  }
  $("#csv-file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) inOrder(() => upload(file));
  });

  // ------------------------------------------------------------------ the buttons
  const control = (action) => () => inOrder(async () => {
    try { await update(await call(withSession("/api/control"), { action })); } catch (e) { /* shown */ }
  });
  $("#train").addEventListener("click", control("train"));
  $("#pause").addEventListener("click", control("pause"));
  $("#step-button").addEventListener("click", control("step"));
  $("#reset").addEventListener("click", control("reset"));
  $("#theta").addEventListener("input", () => {
    $("#theta-value").textContent = Number($("#theta").value).toFixed(2);
    drawRegions();
    exportLinks();
  });

  // ------------------------------------------------------------------ the views
  async function update(state) {
    if (!state || state.session !== page.session) return;
    if (page.state && state.version < page.state.version && state.setup_version === page.setupVersion) return;
    page.state = state;
    if (state.setup_version !== page.setupVersion) {
      page.setupVersion = state.setup_version;
      page.setup = null;  // the views wait for the new shapes
      const setup = await call(withSession("/api/setup"));
      if (setup.session !== page.session) return;
      page.setup = setup;
      showSetup(setup);
    }
    if (page.setup) showState(page.state);
  }

  function showSetup(setup) {
    showSettings(setup.settings);
    $("#equations").textContent = setup.equations.join("\n");
    Plots.graph($("#graph"), setup.graph);
    $("#display-m").textContent = String(setup.display_m);
    const single = setup.sizes.length === 2 && setup.sizes[1] === 1;
    $("#theta-row").hidden = setup.sizes[setup.sizes.length - 1] !== 1;
    exportLinks();
    $("#neuron").hidden = false;
    if (!single) {
      $("#neuron").textContent = setup.sizes[setup.sizes.length - 1] === 1
        ? "The boundary is where the output a[L] = θ. With no hidden layers (one neuron) it is the line wᵀx + b = logit(θ)."
        : "Regions: the class of the largest output unit.";
    }
    const legend = $("#legend");
    legend.replaceChildren(...setup.classes.map((name, k) => {
      const item = document.createElement("span");
      const swatch = document.createElement("span");
      swatch.className = `swatch ${Plots.MARKERS[k]}`;
      swatch.style.background = Plots.CLASS_COLOURS[k];
      item.append(swatch, ` class ${name}`);
      return item;
    }));
    buildLayers(setup.sizes);
  }

  // One row per layer: W[l], b[l], A[l], dZ[l], titled in the notation with the shapes.
  function buildLayers(sizes) {
    const rows = [];
    for (let l = 1; l < sizes.length; l++) {
      const row = document.createElement("div");
      row.className = "layer";
      row.dataset.layer = String(l);
      const heading = document.createElement("h3");
      heading.textContent = `layer ${l}`;
      row.appendChild(heading);
      const titles = {
        W: `W[${l}] (n[${l}], n[${l - 1}]) = (${sizes[l]}, ${sizes[l - 1]})`,
        b: `b[${l}] (n[${l}], 1) = (${sizes[l]}, 1)`,
        A: batchTitle("A", l, sizes[l], page.setup.display_m, page.setup.display_m),
        dZ: batchTitle("dZ", l, sizes[l], page.setup.display_m, page.setup.display_m),
      };
      for (const [key, title] of Object.entries(titles)) {
        const figure = document.createElement("figure");
        figure.className = "matrix";
        figure.dataset.name = `${key}[${l}]`;
        const caption = document.createElement("figcaption");
        caption.textContent = title;
        const canvas = document.createElement("canvas");
        canvas.addEventListener("mousemove", (event) => hover(event, canvas, key, l));
        const scale = document.createElement("div");
        scale.className = "scale";
        figure.append(caption, canvas, scale);
        row.appendChild(figure);
      }
      rows.push(row);
    }
    $("#layers").replaceChildren(...rows);
  }

  // A[l] and dZ[l] have one column per example of the batch: m of them, `shown` drawn.
  function batchTitle(key, l, n, m, shown) {
    const title = `${key}[${l}] (n[${l}], m) = (${n}, ${m})`;
    return shown < m ? `${title}, first ${shown} columns` : title;
  }

  function hover(event, canvas, key, l) {
    const layer = page.state && page.state.layers[l - 1];
    if (!layer) return;
    const cell = Number(canvas.dataset.cell || 1);
    const i = Math.floor(event.offsetY / cell), j = Math.floor(event.offsetX / cell);
    const row = layer[key].data[i];
    if (row && row[j] !== undefined) canvas.title = `${key}[${l}] row ${i + 1}, column ${j + 1}: ${Plots.fmt(row[j], 4)}`;
  }

  function showState(state) {
    $("#step").textContent = String(state.step);
    $("#epoch").textContent = String(state.epoch);
    $("#loss").textContent = Plots.fmt(state.loss, 4);
    $("#accuracy").textContent = Plots.fmt(state.accuracy, 3);
    $("#val-loss").textContent = Plots.fmt(state.val_loss, 4);
    $("#val-accuracy").textContent = Plots.fmt(state.val_accuracy, 3);
    $("#status").textContent = state.status + (state.message ? `: ${state.message}` : "");
    if (state.message) showError(state.message);
    for (const layer of state.layers) {
      for (const key of ["W", "b", "A", "dZ"]) {
        const figure = document.querySelector(`.matrix[data-name="${key}[${layer.l}]"]`);
        if (!figure) continue;
        const scale = Plots.heatmap(figure.querySelector("canvas"), layer[key].data,
          key === "b" ? 40 : 240);
        if (key === "A" || key === "dZ") {
          const [n, shown] = layer[key].shape;
          figure.querySelector("figcaption").textContent = batchTitle(key, layer.l, n, state.batch_m, shown);
        }
        figure.querySelector(".scale").textContent = `±${Plots.fmt(scale, 3)}`;
      }
    }
    drawRegions();
    const c = state.curves;
    const blue = Plots.CLASS_COLOURS[0], orange = "#D55E00";
    Plots.curves($("#loss-curve"), c.step, [
      { values: c.loss, colour: blue, label: "training J" },
      { values: c.val_loss, colour: orange, dashed: true, label: "validation J" },
    ], "cost J");
    Plots.curves($("#accuracy-curve"), c.step, [
      { values: c.accuracy, colour: blue, label: "training" },
      { values: c.val_accuracy, colour: orange, dashed: true, label: "validation" },
    ], "accuracy", 1);
  }

  function drawRegions() {
    const state = page.state, setup = page.setup;
    if (!state || !setup) return;
    const theta = Number($("#theta").value);
    let neuron = null;
    if (setup.sizes.length === 2 && setup.sizes[1] === 1) {
      const layer = state.layers[0];
      const w = layer.W.data[0], b = layer.b.data[0][0];
      const logit = Math.log(theta / (1 - theta));
      neuron = { w, b, logit };
      $("#neuron").textContent = `One neuron: a = σ(wᵀx + b) fires where a ≥ θ, i.e. on the side of the line `
        + `${Plots.fmt(w[0])}·x₁ + ${Plots.fmt(w[1])}·x₂ + ${Plots.fmt(b)} = logit(θ) = ln(θ/(1−θ)) = ${Plots.fmt(logit)}`;
    }
    const fraction = Plots.regions($("#regions"), setup, state.regions, theta, neuron);
    $("#regions").dataset.positiveFraction = fraction.toFixed(4);
  }

  // The downloads carry θ when one output unit fires at it.
  function exportLinks() {
    const theta = $("#theta-row").hidden ? "" : `&theta=${Number($("#theta").value)}`;
    $("#export-model").href = withSession("/api/export/model") + theta;
    $("#export-script").href = withSession("/api/export/script") + theta;
  }

  // ------------------------------------------------------------------ the session
  async function start() {
    let state;
    try {
      state = await call("/api/session", settings());
    } catch (e) {
      state = await call("/api/session", {});  // the form held something refused: defaults
    }
    page.session = state.session;
    exportLinks();
    await update(state);
    const events = new EventSource(withSession("/api/events"));
    events.addEventListener("state", (event) => update(JSON.parse(event.data)));
    page.events = events;
  }

  window.addEventListener("pagehide", () => {
    if (page.events) page.events.close();
    if (page.session) navigator.sendBeacon(withSession("/api/close"));
  });

  start();
})();
