// Drawing for the vecnn playground: heatmaps, decision regions, curves, the step's graph.
// Colours read for colour-blind users: a blue–white–orange diverging map for values, the
// Okabe–Ito palette (with a marker shape per class) for classes.
"use strict";

const Plots = (() => {
  const CLASS_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
    "#F0E442", "#000000"];
  const MARKERS = ["circle", "square", "triangle", "diamond", "circle", "square", "triangle",
    "diamond"];
  const NEGATIVE = [33, 102, 172];   // blue
  const MIDDLE = [247, 247, 247];    // near-white
  const POSITIVE = [230, 97, 1];     // orange

  function hexToRgb(hex) {
    const n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  function mix(a, b, t) {
    return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
  }

  // value in [-1, 1] → blue … white … orange
  function diverging(t) {
    const c = Math.max(-1, Math.min(1, t));
    return c < 0 ? mix(MIDDLE, NEGATIVE, -c) : mix(MIDDLE, POSITIVE, c);
  }

  function fmt(x, digits = 3) {
    if (x === null || x === undefined || Number.isNaN(x)) return "–";
    const a = Math.abs(x);
    if (a !== 0 && (a < 1e-3 || a >= 1e4)) return x.toExponential(2);
    return x.toFixed(digits);
  }

  function setupCanvas(canvas, width, height) {
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = width + "px";
      canvas.style.height = height + "px";
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  // A matrix (rows × cols) as coloured cells; returns the scale used (max |value|).
  function heatmap(canvas, matrix, maxWidth = 240) {
    const rows = matrix.length;
    const cols = rows ? matrix[0].length : 0;
    const cell = Math.max(2, Math.min(18, Math.floor(maxWidth / Math.max(cols, 1)),
      Math.floor(200 / Math.max(rows, 1))));
    const ctx = setupCanvas(canvas, cols * cell, rows * cell);
    let scale = 0;
    for (const row of matrix) for (const v of row) scale = Math.max(scale, Math.abs(v));
    const s = scale || 1;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const [r, g, b] = diverging(matrix[i][j] / s);
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fillRect(j * cell, i * cell, cell, cell);
      }
    }
    if (cell >= 6) {
      ctx.strokeStyle = "rgba(0,0,0,0.12)";
      ctx.lineWidth = 1;
      for (let i = 0; i <= rows; i++) line(ctx, 0, i * cell, cols * cell, i * cell);
      for (let j = 0; j <= cols; j++) line(ctx, j * cell, 0, j * cell, rows * cell);
    }
    canvas.dataset.cell = String(cell);
    return scale;
  }

  function line(ctx, x0, y0, x1, y1) {
    ctx.beginPath();
    ctx.moveTo(x0 + 0.5, y0 + 0.5);
    ctx.lineTo(x1 + 0.5, y1 + 0.5);
    ctx.stroke();
  }

  function marker(ctx, kind, x, y, r) {
    ctx.beginPath();
    if (kind === "square") ctx.rect(x - r, y - r, 2 * r, 2 * r);
    else if (kind === "triangle") {
      ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r * 1.1, y + r * 0.8);
      ctx.lineTo(x - r * 1.1, y + r * 0.8); ctx.closePath();
    } else if (kind === "diamond") {
      ctx.moveTo(x, y - r * 1.3); ctx.lineTo(x + r * 1.1, y); ctx.lineTo(x, y + r * 1.3);
      ctx.lineTo(x - r * 1.1, y); ctx.closePath();
    } else ctx.arc(x, y, r, 0, 2 * Math.PI);
  }

  // The regions of the grid (p: output per cell; k: the winning class when K > 1), the
  // boundary between cells of different classes, and the points. Returns the fraction of
  // cells predicted as class 1 (binary) for the tests and the readers.
  function regions(canvas, setup, region, theta, neuron) {
    const size = 360;
    const ctx = setupCanvas(canvas, size, size);
    const G = setup.grid;
    const [x0, x1, y0, y1] = setup.bounds;
    const cell = size / G;
    const classOf = (idx) => region.k ? region.k[idx] : (region.p[idx] >= theta ? 1 : 0);
    const colours = CLASS_COLOURS.map(hexToRgb);
    let positive = 0;
    for (let i = 0; i < G; i++) {
      for (let j = 0; j < G; j++) {
        const idx = i * G + j;
        const k = classOf(idx);
        if (k === 1) positive++;
        // confidence: how far the output is from the boundary
        const p = region.p[idx];
        const confidence = region.k ? p : Math.abs(p - theta) / Math.max(theta, 1 - theta);
        const [r, g, b] = mix([255, 255, 255], colours[k], 0.08 + 0.3 * confidence);
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fillRect(j * cell, i * cell, cell + 0.6, cell + 0.6);
      }
    }
    // the boundary: edges between neighbouring cells of different classes
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let i = 0; i < G; i++) {
      for (let j = 0; j < G; j++) {
        const k = classOf(i * G + j);
        if (j + 1 < G && classOf(i * G + j + 1) !== k) {
          ctx.moveTo((j + 1) * cell, i * cell); ctx.lineTo((j + 1) * cell, (i + 1) * cell);
        }
        if (i + 1 < G && classOf((i + 1) * G + j) !== k) {
          ctx.moveTo(j * cell, (i + 1) * cell); ctx.lineTo((j + 1) * cell, (i + 1) * cell);
        }
      }
    }
    ctx.stroke();
    // grid centres span [x0, x1] × [y0, y1]: map data to pixels accordingly
    const px = (x) => cell / 2 + ((x - x0) / (x1 - x0)) * (size - cell);
    const py = (y) => cell / 2 + ((y1 - y) / (y1 - y0)) * (size - cell);
    if (neuron) {  // the single neuron's line w₁x₁ + w₂x₂ + b = logit(θ)
      const [w1, w2] = neuron.w;
      const c = neuron.logit - neuron.b;
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2.5;
      ctx.setLineDash([7, 4]);
      ctx.beginPath();
      if (Math.abs(w2) > Math.abs(w1)) {
        ctx.moveTo(px(x0 - 1), py((c - w1 * (x0 - 1)) / w2));
        ctx.lineTo(px(x1 + 1), py((c - w1 * (x1 + 1)) / w2));
      } else if (w1 !== 0) {
        ctx.moveTo(px((c - w2 * (y0 - 1)) / w1), py(y0 - 1));
        ctx.lineTo(px((c - w2 * (y1 + 1)) / w1), py(y1 + 1));
      }
      ctx.stroke();
      ctx.setLineDash([]);
    }
    const pts = setup.points;
    const draw = (X, y, hollow) => {
      for (let n = 0; n < y.length; n++) {
        const k = y[n];
        marker(ctx, MARKERS[k], px(X[0][n]), py(X[1][n]), 3.6);
        ctx.fillStyle = hollow ? "#fff" : CLASS_COLOURS[k];
        ctx.fill();
        ctx.lineWidth = hollow ? 1.6 : 0.8;
        ctx.strokeStyle = hollow ? CLASS_COLOURS[k] : "#222";
        ctx.stroke();
      }
    };
    draw(pts.X, pts.y, false);
    draw(pts.X_val, pts.y_val, true);
    return positive / (G * G);
  }

  // Curves over the steps: [{values, colour, dashed, label}], y from 0 (or min) to max.
  function curves(canvas, steps, series, title, fixedMax) {
    const width = 380, height = 170, left = 44, right = 10, top = 20, bottom = 26;
    const ctx = setupCanvas(canvas, width, height);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = "#222";
    ctx.fillText(title, left, 13);
    const finite = series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v)));
    const ymax = fixedMax || Math.max(1e-9, ...finite);
    const xmax = Math.max(1, steps.length ? steps[steps.length - 1] : 1);
    const X = (s) => left + (s / xmax) * (width - left - right);
    const Y = (v) => top + (1 - v / ymax) * (height - top - bottom);
    ctx.strokeStyle = "#999";
    ctx.lineWidth = 1;
    line(ctx, left, top, left, height - bottom);
    line(ctx, left, height - bottom, width - right, height - bottom);
    ctx.fillStyle = "#444";
    ctx.textAlign = "right";
    ctx.fillText(fmt(ymax, 2), left - 4, top + 4);
    ctx.fillText("0", left - 4, height - bottom + 4);
    ctx.textAlign = "center";
    ctx.fillText(`step ${steps.length ? steps[steps.length - 1] : 0}`, width - right - 24, height - 8);
    ctx.textAlign = "left";
    let legendX = left + 130;
    for (const s of series) {
      ctx.strokeStyle = s.colour;
      ctx.lineWidth = 2;
      ctx.setLineDash(s.dashed ? [6, 4] : []);
      ctx.beginPath();
      let started = false;
      s.values.forEach((v, n) => {
        if (v === null || !Number.isFinite(v)) return;
        if (!started) { ctx.moveTo(X(steps[n]), Y(v)); started = true; } else ctx.lineTo(X(steps[n]), Y(v));
      });
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(legendX, 9); ctx.lineTo(legendX + 18, 9); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#222";
      ctx.fillText(s.label, legendX + 22, 13);
      legendX += 30 + ctx.measureText(s.label).width;
    }
  }

  // Operation names too long for a box (the full name is in the node's tooltip).
  const SHORT_NAMES = {
    binary_cross_entropy_with_logits: "BCE from logits",
    softmax_cross_entropy_with_logits: "softmax CE (logits)",
    mean_squared_error: "mean squared error",
  };

  // The DOT text of vecnn.graph.to_dot → an SVG laid out by depth (left: inputs, right: J).
  function graph(container, dot) {
    const nodes = new Map();
    const edges = [];
    for (const raw of dot.split("\n")) {
      const text = raw.trim();
      let m = text.match(/^(t\d+) \[label="((?:[^"\\]|\\.)*)", shape=(\w+)\];$/);
      if (m) { nodes.set(m[1], { id: m[1], label: m[2].replace(/\\"/g, '"').split("\\n"), shape: m[3], inputs: [] }); continue; }
      m = text.match(/^(t\d+) -> (t\d+);$/);
      if (m) edges.push([m[1], m[2]]);
    }
    for (const [a, b] of edges) if (nodes.has(b)) nodes.get(b).inputs.push(a);
    // Operations by the longest path from the leaves; each leaf (a parameter) one column
    // before the first operation that takes it, below that column's operation.
    const depth = new Map();
    const depthOf = (id) => {
      if (depth.has(id)) return depth.get(id);
      depth.set(id, 0);
      const node = nodes.get(id);
      const d = node.inputs.length ? 1 + Math.max(...node.inputs.map(depthOf)) : 0;
      depth.set(id, d);
      return d;
    };
    for (const id of nodes.keys()) depthOf(id);
    for (const [a, b] of edges) {
      if (nodes.has(a) && !nodes.get(a).inputs.length) {
        const before = depth.get(b) - 1;
        depth.set(a, depth.get(a) === 0 && !nodes.get(a).placed ? before : Math.min(depth.get(a), before));
        nodes.get(a).placed = true;
      }
    }
    const columns = [];
    for (const [id, d] of depth) (columns[d] = columns[d] || []).push(id);
    for (let c = 0; c < columns.length; c++) {
      columns[c] = columns[c] || [];
      columns[c].sort((a, b) => (nodes.get(a).inputs.length ? 0 : 1) - (nodes.get(b).inputs.length ? 0 : 1));
    }
    const boxW = 132, boxH = 38, gapX = 30, gapY = 12;
    const place = new Map();
    columns.forEach((ids, c) => ids.forEach((id, r) => place.set(id, [c * (boxW + gapX) + 6, r * (boxH + gapY) + 6])));
    const width = columns.length * (boxW + gapX);
    const height = Math.max(...columns.map((ids) => ids.length)) * (boxH + gapY) + 12;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "computational graph of one training step");
    const defs = document.createElementNS(ns, "defs");
    const arrow = document.createElementNS(ns, "marker");
    for (const [k, v] of Object.entries({ id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto" })) arrow.setAttribute(k, v);
    const tip = document.createElementNS(ns, "path");
    tip.setAttribute("d", "M0,0 L10,5 L0,10 z");
    tip.setAttribute("fill", "#555");
    arrow.appendChild(tip);
    defs.appendChild(arrow);
    svg.appendChild(defs);
    for (const [a, b] of edges) {
      if (!place.has(a) || !place.has(b)) continue;
      const [ax, ay] = place.get(a), [bx, by] = place.get(b);
      const path = document.createElementNS(ns, "path");
      const sx = ax + boxW, sy = ay + boxH / 2, tx = bx, ty = by + boxH / 2;
      path.setAttribute("d", `M${sx},${sy} C${sx + gapX / 2},${sy} ${tx - gapX / 2},${ty} ${tx},${ty}`);
      path.setAttribute("class", "edge");
      path.setAttribute("marker-end", "url(#arrow)");
      svg.appendChild(path);
    }
    for (const node of nodes.values()) {
      const [x, y] = place.get(node.id);
      const g = document.createElementNS(ns, "g");
      g.setAttribute("class", `node ${node.shape}`);
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", x); rect.setAttribute("y", y);
      rect.setAttribute("width", boxW); rect.setAttribute("height", boxH);
      rect.setAttribute("rx", node.shape === "box" || node.shape === "note" ? 3 : 16);
      g.appendChild(rect);
      node.label.forEach((text, i) => {
        const t = document.createElementNS(ns, "text");
        t.setAttribute("x", x + boxW / 2);
        t.setAttribute("y", y + 15 + i * 14);
        t.textContent = i === 1 ? text.replace(/ float\d+$/, "").replace(/×/g, " × ")
          : (SHORT_NAMES[text] || text);
        if (t.textContent.length * 6.7 > boxW - 10) {  // long names (the losses) squeezed to fit
          t.setAttribute("textLength", String(boxW - 10));
          t.setAttribute("lengthAdjust", "spacingAndGlyphs");
        }
        g.appendChild(t);
      });
      const title = document.createElementNS(ns, "title");
      title.textContent = node.label.join(" ");
      g.appendChild(title);
      svg.appendChild(g);
    }
    container.replaceChildren(svg);
  }

  return { heatmap, regions, curves, graph, fmt, CLASS_COLOURS, MARKERS, diverging };
})();
window.Plots = Plots;
