// causet view: the interactive space-time diagram. Plain JavaScript, no dependencies; the
// data (format in causet-diagram's crate docs) is in the page's #causet-data element.
// Page state is exposed on window.causetView for tests and scripting.
"use strict";
(function () {
  const COLUMN = 120; // px between timelines (fit path may narrow them)
  const ROW = 24; // px between causal rows at zoom 1
  const HEADER = 30; // px of node names on top
  const MARGIN = 70; // px left of the first timeline
  const PLAIN = 0, PAST = 1, FUTURE = 2, CONCURRENT = 3, SELECTED = 4;
  const CSS = getComputedStyle(document.documentElement);
  const COLOURS = [
    "#333", CSS.getPropertyValue("--past").trim() || "#0072b2",
    CSS.getPropertyValue("--future").trim() || "#e69f00",
    CSS.getPropertyValue("--concurrent").trim() || "#cc79a7", "#000",
  ];
  const MATCH = CSS.getPropertyValue("--match").trim() || "#009e73";
  const PATH = CSS.getPropertyValue("--path").trim() || "#d55e00";
  const DIFF = CSS.getPropertyValue("--diff").trim() || "#b2182b";
  const errors = [];
  window.addEventListener("error", (e) => errors.push(String(e.message)));

  const $ = (id) => document.getElementById(id);
  const canvas = $("diagram");
  const ctx = canvas.getContext("2d");
  const mini = $("minimap");
  const mctx = mini.getContext("2d");
  const MINI = 96; // px the minimap covers on the right of the diagram
  const DATA = JSON.parse($("causet-data").textContent);
  const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

  function u32(base64) {
    let bytes;
    if (typeof Uint8Array.fromBase64 === "function") {
      bytes = Uint8Array.fromBase64(base64);
    } else {
      const raw = atob(base64);
      bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    }
    if (LITTLE) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    const view = new DataView(bytes.buffer), out = new Uint32Array(bytes.length >> 2);
    for (let i = 0; i < out.length; i++) out[i] = view.getUint32(4 * i, true);
    return out;
  }

  // One execution, decoded on first use.
  const decoded = [];
  function execution(k) {
    if (decoded[k]) return decoded[k];
    const x = DATA.executions[k];
    const N = x.events, W = x.nodes.length;
    const ex = {
      name: x.name, nodes: x.nodes, N, W, R: x.rows, node: u32(x.node), clock: u32(x.clock),
      row: u32(x.row), textEnd: u32(x.textEnd), text: x.text, line: u32(x.line),
      fields: x.fields, fieldValue: u32(x.fieldValue), strings: x.strings,
      messages: u32(x.messages),
    };
    // Per node, its events by own entry (= by row, as rows grow along a node).
    const counts = new Uint32Array(W);
    for (let i = 0; i < N; i++) counts[ex.node[i]]++;
    ex.byNode = Array.from(counts, (c) => new Uint32Array(c));
    const fill = new Uint32Array(W);
    for (let i = 0; i < N; i++) { const n = ex.node[i]; ex.byNode[n][fill[n]++] = i; }
    for (let n = 0; n < W; n++) {
      const list = ex.byNode[n];
      let sorted = true;
      for (let k2 = 1; k2 < list.length && sorted; k2++) sorted = own(ex, list[k2 - 1]) < own(ex, list[k2]);
      if (!sorted) list.sort((a, b) => own(ex, a) - own(ex, b));
    }
    // Messages by send row, in chunks that know their lowest receive row, so drawing visits
    // only the chunks that can cross the viewport.
    const M = ex.messages.length >> 1;
    const order = new Uint32Array(M);
    for (let m = 0; m < M; m++) order[m] = m;
    order.sort((a, b) => ex.row[ex.messages[2 * a]] - ex.row[ex.messages[2 * b]]);
    ex.msgOrder = order;
    ex.chunkMax = new Uint32Array(Math.ceil(M / 256));
    for (let m = 0; m < M; m++) {
      const r = ex.row[ex.messages[2 * order[m] + 1]], c = m >> 8;
      if (r > ex.chunkMax[c]) ex.chunkMax[c] = r;
    }
    decoded[k] = ex;
    return ex;
  }
  const own = (ex, i) => ex.clock[i * ex.W + ex.node[i]];
  const textOf = (ex, i) => ex.text.slice(i ? ex.textEnd[i - 1] : 0, ex.textEnd[i]);
  const idOf = (ex, i) => ex.nodes[ex.node[i]] + ":" + own(ex, i);
  function findId(ex, id) {
    const m = /^(.*):(\d+)$/.exec(id.trim());
    if (!m) return -1;
    const n = ex.nodes.indexOf(m[1]);
    if (n < 0) return -1;
    const list = ex.byNode[n], t = Number(m[2]);
    let lo = 0, hi = list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (own(ex, list[mid]) < t) lo = mid + 1; else hi = mid; }
    return lo < list.length && own(ex, list[lo]) === t ? list[lo] : -1;
  }
  // How event a relates to event b (the vector-clock test, exact for a valid log).
  function order(ex, a, b) {
    if (a === b) return "equal";
    const na = ex.node[a], nb = ex.node[b], W = ex.W;
    const ab = ex.clock[a * W + na] <= ex.clock[b * W + na];
    const ba = ex.clock[b * W + nb] <= ex.clock[a * W + nb];
    return ab && !ba ? "before" : ba && !ab ? "after" : !ab && !ba ? "concurrent" : "equal";
  }

  // A causal path from the earlier of a and b to the later with the fewest messages (null
  // when they are concurrent or equal), as the events where it enters and leaves a node:
  // each step is a message or a stretch of one node's program order, so a happens-before
  // edge. Rows are a linear extension of happens-before (an event's row is below its past),
  // so one pass in row order over the rows between the two finds the fewest messages to
  // every event in between.
  function causalPath(ex, a, b) {
    const answer = order(ex, a, b);
    if (answer !== "before" && answer !== "after") return null;
    const [from, to] = answer === "before" ? [a, b] : [b, a];
    if (!ex.byRow) {
      ex.sendOf = new Int32Array(ex.N).fill(-1);
      for (let m = 0; m < ex.messages.length; m += 2) ex.sendOf[ex.messages[m + 1]] = ex.messages[m];
      ex.previous = new Int32Array(ex.N).fill(-1);
      for (const list of ex.byNode) for (let k = 1; k < list.length; k++) ex.previous[list[k]] = list[k - 1];
      ex.byRow = Uint32Array.from({ length: ex.N }, (_, i) => i).sort((x, y) => ex.row[x] - ex.row[y]);
    }
    const nf = ex.node[from], tf = own(ex, from), W = ex.W;
    // Messages on the fewest-message chain from `from` to each event, -1 where there is none.
    const hops = new Int32Array(ex.N).fill(-1);
    hops[from] = 0;
    const hopsOf = (e) => e >= 0 ? hops[e] : -1;
    for (let k = lowerBound(ex.byRow, ex, ex.row[from] + 1); k < ex.N && ex.row[ex.byRow[k]] <= ex.row[to]; k++) {
      const e = ex.byRow[k];
      if (ex.clock[e * W + nf] < tf) continue; // `from` is not in its past
      const p = hopsOf(ex.previous[e]), s = hopsOf(ex.sendOf[e]);
      hops[e] = p < 0 ? (s < 0 ? -1 : s + 1) : s < 0 ? p : Math.min(p, s + 1);
    }
    if (hopsOf(to) < 0) return null; // a log whose clocks the messages do not explain (lenient logs)
    const path = [to];
    for (let at = to; at !== from;) {
      const s = ex.sendOf[at], p = ex.previous[at];
      at = hopsOf(s) >= 0 && hopsOf(s) + 1 === hops[at] ? s : p;
      // Keep the events where the path changes node (and the ends).
      if (path.length > 1 && ex.node[path[path.length - 1]] === ex.node[at] &&
        ex.node[path[path.length - 2]] === ex.node[at]) path[path.length - 1] = at;
      else path.push(at);
    }
    return path.reverse();
  }
  // ----- state -----
  const state = {
    x: 0, ex: null, hidden: new Set(), filter: "", selected: -1, second: -1, path: null,
    classes: null, query: "", matches: null, matchFlags: null, matchAt: -1, searchError: "",
    panX: 0, panY: 0, zoom: 1, columns: [], order: [], sort: "log", moving: null,
    cmp: -1, diff: null, other: null, colPx: COLUMN,
  };

  function setColumns() {
    const ex = state.ex;
    state.columns = [];
    state.columnOf = new Int32Array(ex.W).fill(-1);
    state.miniImage = null;
    for (const n of state.order) {
      if (!state.hidden.has(n)) { state.columnOf[n] = state.columns.length; state.columns.push(n); }
    }
  }
  // The order of the timelines: "log" (as the data lists the nodes), "name" (natural: node2
  // before node10), "first" (by the log line of a node's first event), "count" (most events
  // first), or "custom" (dragged; then `names` is the order).
  const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  function sortNodes(how, names) {
    const ex = state.ex, all = ex.nodes.map((_, n) => n);
    const name = (a, b) => byName.compare(ex.nodes[a], ex.nodes[b]) || (ex.nodes[a] < ex.nodes[b] ? -1 : 1);
    const first = (n) => ex.byNode[n].length ? ex.line[ex.byNode[n][0]] : Infinity;
    if (how === "name") all.sort(name);
    else if (how === "first") all.sort((a, b) => first(a) - first(b) || name(a, b));
    else if (how === "count") all.sort((a, b) => ex.byNode[b].length - ex.byNode[a].length || name(a, b));
    else if (how === "custom" && names) {
      // The named nodes in that order, then any others as the data lists them.
      const at = new Map(names.map((x, k) => [x, k]));
      all.sort((a, b) => (at.has(ex.nodes[a]) ? at.get(ex.nodes[a]) : 1e9 + a) - (at.has(ex.nodes[b]) ? at.get(ex.nodes[b]) : 1e9 + b));
    } else how = "log";
    state.sort = how; state.order = all;
    $("nodeorder").value = how;
  }
  // Moves the timeline in column `from` to column `to` (a drag of its name).
  function moveColumn(from, to) {
    const node = state.columns[from], target = state.columns[to];
    if (node === undefined || target === undefined || node === target) return;
    const order = state.order.filter((n) => n !== node);
    order.splice(order.indexOf(target) + (to > from ? 1 : 0), 0, node);
    state.order = order; state.sort = "custom"; $("nodeorder").value = "custom";
    setColumns(); nodeList(); changed();
  }
  const rowPx = () => ROW * state.zoom;
  const yOf = (row) => HEADER + 20 + row * rowPx() - state.panY;
  const col = () => state.colPx;
  const xOf = (column) => MARGIN + column * col() - state.panX;
  // The width of one pane: the whole diagram, or half of it when comparing executions.
  const size = () => ({ w: state.cmp >= 0 ? Math.floor(canvas.clientWidth / 2) : canvas.clientWidth, h: canvas.clientHeight });

  function classify() {
    const ex = state.ex, e = state.selected;
    if (e < 0) { state.classes = null; return; }
    const cls = new Uint8Array(ex.N), W = ex.W, ne = ex.node[e], te = ex.clock[e * W + ne];
    const base = e * W;
    for (let i = 0; i < ex.N; i++) {
      const ni = ex.node[i];
      if (ex.clock[i * W + ni] <= ex.clock[base + ni]) cls[i] = PAST;
      else if (te <= ex.clock[i * W + ne]) cls[i] = FUTURE;
      else cls[i] = CONCURRENT;
    }
    cls[e] = SELECTED;
    state.classes = cls;
    state.miniImage = null;
  }

  // ----- drawing -----
  let pending = false;
  function redraw() {
    if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; draw(); }); }
  }
  function lowerBound(list, ex, row) {
    let lo = 0, hi = list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (ex.row[list[mid]] < row) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function draw() {
    const cw = canvas.clientWidth, h = canvas.clientHeight, dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(cw * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(cw * dpr); canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    mini.hidden = state.cmp >= 0;
    if (state.cmp < 0) { drawPane(); drawMinimap(); return; }
    // Comparing: this execution on the left, the other on the right, panned together.
    const w = size().w;
    ctx.save(); ctx.beginPath(); ctx.rect(0, 0, w, h); ctx.clip(); drawPane(); ctx.restore();
    swapPane();
    ctx.save(); ctx.translate(w + 2, 0); ctx.beginPath(); ctx.rect(0, 0, cw - w - 2, h); ctx.clip(); drawPane(); ctx.restore();
    swapPane();
    ctx.fillStyle = "#555"; ctx.fillRect(w, 0, 2, h);
  }
  function drawPane() {
    const ex = state.ex, { w, h } = size();
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    const rp = rowPx();
    const r0 = Math.max(0, Math.floor((state.panY - 20 - 10) / rp));
    const r1 = Math.ceil((state.panY + h) / rp) + 1;
    const c0 = Math.max(0, Math.floor((state.panX - MARGIN) / col()) - 1);
    const c1 = Math.min(state.columns.length - 1, Math.ceil((state.panX + w) / col()));
    // Timelines.
    ctx.strokeStyle = "#999"; ctx.lineWidth = 1; ctx.beginPath();
    for (let c = c0; c <= c1; c++) {
      const x = Math.round(xOf(c)) + 0.5;
      ctx.moveTo(x, Math.max(HEADER, yOf(0) - 10)); ctx.lineTo(x, Math.min(h, yOf(ex.R) ));
    }
    ctx.stroke();
    if (state.diff) {
      // Nodes the other execution lacks: a dashed, thicker timeline.
      ctx.save(); ctx.setLineDash([6, 4]); ctx.strokeStyle = DIFF; ctx.lineWidth = 2; ctx.beginPath();
      for (let c = c0; c <= c1; c++) {
        if (!state.diff.only.has(state.columns[c])) continue;
        const x = Math.round(xOf(c)) + 0.5;
        ctx.moveTo(x, Math.max(HEADER, yOf(0) - 10)); ctx.lineTo(x, Math.min(h, yOf(ex.R)));
      }
      ctx.stroke(); ctx.restore();
    }
    // Messages: chunks by send row; a chunk is skipped when it ends above the viewport.
    ctx.strokeStyle = "rgba(60,60,60,0.55)"; ctx.beginPath();
    const M = ex.msgOrder.length;
    let drawn = 0;
    for (let chunk = 0; chunk * 256 < M; chunk++) {
      if (ex.chunkMax[chunk] < r0) continue;
      const end = Math.min(M, chunk * 256 + 256);
      let stop = false;
      for (let k = chunk * 256; k < end; k++) {
        const m = ex.msgOrder[k], s = ex.messages[2 * m], r = ex.messages[2 * m + 1];
        const rs = ex.row[s], rr = ex.row[r];
        if (rs > r1) { stop = true; break; }
        if (rr < r0) continue;
        const cs = state.columnOf[ex.node[s]], cr = state.columnOf[ex.node[r]];
        if (cs < 0 && cr < 0) continue;
        if ((cs < c0 - 1 || cs > c1 + 1) && (cr < c0 - 1 || cr > c1 + 1) && cs >= 0 && cr >= 0 &&
            (cs - c0) * (cr - c0) > 0) continue;
        const ys = yOf(rs), yr = yOf(rr);
        if (cs >= 0 && cr >= 0) {
          ctx.moveTo(xOf(cs), ys); ctx.lineTo(xOf(cr), yr);
        } else if (cs >= 0) { // receiver hidden: a stub
          ctx.moveTo(xOf(cs), ys); ctx.lineTo(xOf(cs) + 18, ys + Math.min(18, yr - ys));
        } else {
          ctx.moveTo(xOf(cr) - 18, yr - Math.min(18, yr - ys)); ctx.lineTo(xOf(cr), yr);
        }
        drawn++;
      }
      if (stop) break;
    }
    ctx.stroke();
    // Arrow heads only when zoomed in enough to see them.
    if (rp >= 8 && drawn < 5000) drawHeads(r0, r1, c0, c1);
    // Events, one path per colour; at most one dot per pixel row of a timeline.
    const radius = Math.max(1.5, Math.min(6, rp * 0.3));
    const paths = [new Path2D(), new Path2D(), new Path2D(), new Path2D(), new Path2D()];
    const rings = new Path2D(), diamonds = new Path2D();
    const labels = rp >= 16, diff = state.diff && state.diff.flags;
    const visible = [];
    for (let c = c0; c <= c1; c++) {
      const list = ex.byNode[state.columns[c]], x = xOf(c);
      let lastPixel = -1e9;
      for (let k = lowerBound(list, ex, r0); k < list.length; k++) {
        const i = list[k], row = ex.row[i];
        if (row > r1) break;
        const y = yOf(row);
        const cls = state.classes ? state.classes[i] : PLAIN;
        const flagged = state.matchFlags && state.matchFlags[i];
        const differs = diff && diff[i];
        if (y - lastPixel < 1 && cls !== SELECTED && !flagged && !differs) continue;
        lastPixel = y;
        if (differs) {
          // An event whose text the other execution's node lacks: a diamond (ShiViz's mark).
          const d = radius + 3;
          diamonds.moveTo(x, y - d); diamonds.lineTo(x + d, y); diamonds.lineTo(x, y + d); diamonds.lineTo(x - d, y); diamonds.closePath();
          if (labels) visible.push(i, x, y);
          continue;
        }
        paths[cls].moveTo(x + radius, y); paths[cls].arc(x, y, radius, 0, 2 * Math.PI);
        if (flagged) { rings.moveTo(x + radius + 3, y); rings.arc(x, y, radius + 3, 0, 2 * Math.PI); }
        if (labels) visible.push(i, x, y);
      }
    }
    for (let cls = 0; cls < 5; cls++) { ctx.fillStyle = COLOURS[cls]; ctx.fill(paths[cls]); }
    ctx.strokeStyle = MATCH; ctx.lineWidth = 2.5; ctx.stroke(rings); ctx.lineWidth = 1;
    ctx.fillStyle = DIFF; ctx.fill(diamonds); ctx.strokeStyle = "#000"; ctx.stroke(diamonds);
    if (state.diff && state.diff.first >= 0 && state.columnOf[ex.node[state.diff.first]] >= 0) {
      // The first divergence: a double ring.
      const e = state.diff.first, x = xOf(state.columnOf[ex.node[e]]), y = yOf(ex.row[e]);
      ctx.strokeStyle = DIFF; ctx.lineWidth = 3;
      for (const r of [radius + 8, radius + 13]) { ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.stroke(); }
      ctx.lineWidth = 1;
    }
    if (state.path) {
      // The causal path between the two selected events: a thick line through its events
      // (hidden nodes' events are skipped over).
      ctx.strokeStyle = PATH; ctx.lineWidth = 3.5; ctx.beginPath();
      let first = true;
      for (const e of state.path) {
        const c = state.columnOf[ex.node[e]];
        if (c < 0) continue;
        if (first) ctx.moveTo(xOf(c), yOf(ex.row[e])); else ctx.lineTo(xOf(c), yOf(ex.row[e]));
        first = false;
      }
      ctx.stroke(); ctx.lineWidth = 1;
    }
    for (const e of [state.selected, state.second]) {
      if (e < 0 || state.columnOf[ex.node[e]] < 0) continue;
      ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.beginPath();
      ctx.arc(xOf(state.columnOf[ex.node[e]]), yOf(ex.row[e]), radius + 4, 0, 2 * Math.PI);
      ctx.stroke(); ctx.lineWidth = 1;
    }
    if (labels) {
      ctx.fillStyle = "#222"; ctx.font = "11px system-ui, sans-serif"; ctx.textBaseline = "middle";
      for (let k = 0; k < visible.length; k += 3) {
        let t = textOf(ex, visible[k]);
        if (t.length > 18) t = t.slice(0, 17) + "\u2026";
        ctx.fillText(t, visible[k + 1] + radius + 4, visible[k + 2], col() - radius - 10);
      }
    }
    // Node names on top, over everything.
    ctx.fillStyle = "#f4f4f4"; ctx.fillRect(0, 0, w, HEADER);
    ctx.strokeStyle = "#bbb"; ctx.beginPath(); ctx.moveTo(0, HEADER + 0.5); ctx.lineTo(w, HEADER + 0.5); ctx.stroke();
    ctx.fillStyle = "#111"; ctx.font = "bold 12px system-ui, sans-serif"; ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let c = c0; c <= c1; c++) {
      if (state.moving && state.moving.from === c) continue;
      const only = state.diff && state.diff.only.has(state.columns[c]);
      ctx.fillStyle = only ? DIFF : "#111";
      ctx.fillText((only ? "\u25c6 " : "") + ex.nodes[state.columns[c]], xOf(c), HEADER / 2, col() - 8);
    }
    ctx.fillStyle = "#111";
    if (state.cmp >= 0) {
      ctx.textAlign = "end"; ctx.font = "bold 11px system-ui, sans-serif"; ctx.fillStyle = "#444";
      ctx.fillText(ex.name || "(unnamed)", w - 8, HEADER + 10, w / 2);
    }
    if (state.moving) {
      // The dragged name under the pointer, and where it would land.
      const to = Math.round((state.moving.x + state.panX - MARGIN) / col());
      ctx.fillStyle = PATH; ctx.fillRect(Math.round(xOf(to)) - 1, 0, 3, HEADER);
      ctx.fillStyle = "#fff"; ctx.fillRect(state.moving.x - col() / 2 + 4, 4, col() - 8, HEADER - 8);
      ctx.strokeStyle = "#333"; ctx.strokeRect(state.moving.x - col() / 2 + 4.5, 4.5, col() - 9, HEADER - 9);
      ctx.fillStyle = "#111"; ctx.fillText(ex.nodes[state.columns[state.moving.from]], state.moving.x, HEADER / 2, col() - 12);
    }
    ctx.textAlign = "start";
    state.drawnMessages = drawn;
    drawMinimap();
  }

  // ----- minimap: the whole execution (event density per timeline, coloured as the
  // diagram is), with the viewport as a box -----
  function miniImage(mw, mh) {
    const ex = state.ex, C = state.columns.length;
    const key = mw + "x" + mh;
    if (state.miniImage && state.miniKey === key) return state.miniImage;
    // Per cell (column, pixel row): events, and events per colour class (plus matches).
    const cells = new Uint32Array(C * mh), kinds = new Uint32Array(C * mh * 6);
    const scale = miniScale(mh), tall = Math.max(1, Math.min(3, Math.floor(scale)));
    for (let i = 0; i < ex.N; i++) {
      const c = state.columnOf[ex.node[i]];
      if (c < 0) continue;
      const cell = c * mh + Math.min(mh - 1, Math.floor(ex.row[i] * scale));
      cells[cell]++;
      const kind = state.matchFlags && state.matchFlags[i] ? 5 : state.classes ? state.classes[i] : PLAIN;
      kinds[cell * 6 + kind]++;
    }
    let most = 1;
    for (let k = 0; k < cells.length; k++) if (cells[k] > most) most = cells[k];
    const image = mctx.createImageData(mw, mh), px = image.data, band = mw / Math.max(1, C);
    const rgb = COLOURS.concat([MATCH]).map((c) => {
      const v = parseInt(c.replace("#", "").replace(/^(.)(.)(.)$/, "$1$1$2$2$3$3"), 16);
      return [v >> 16, (v >> 8) & 255, v & 255];
    });
    for (let c = 0; c < C; c++) {
      const x0 = Math.floor(c * band + band * 0.2), x1 = Math.max(x0 + 1, Math.floor((c + 1) * band - band * 0.2));
      for (let y = 0; y < mh; y++) {
        const cell = c * mh + y, n = cells[cell];
        // (A short execution: each row is several pixels; its events fill `tall` of them.)
        if (!n) continue;
        let kind = 0;
        if (kinds[cell * 6 + 5]) kind = 5; // a match shows whatever else is there
        else for (let k = 1; k < 5; k++) if (kinds[cell * 6 + k] > kinds[cell * 6 + kind]) kind = k;
        const a = 0.35 + 0.65 * Math.log1p(n) / Math.log1p(most), [r, g, b] = rgb[kind];
        for (let y2 = y; y2 < Math.min(mh, y + tall); y2++) {
          for (let x = x0; x < x1 && x < mw; x++) {
            const o = 4 * (y2 * mw + x);
            px[o] = 255 - a * (255 - r); px[o + 1] = 255 - a * (255 - g); px[o + 2] = 255 - a * (255 - b); px[o + 3] = 255;
          }
        }
      }
    }
    state.miniImage = image; state.miniKey = key;
    return image;
  }
  // Minimap pixels per row: the execution fills the minimap's height, or takes 4 px a row
  // when it is short.
  const miniScale = (mh) => Math.min(4, mh / Math.max(1, state.ex.R));
  // The viewport in minimap pixels: [x, y, w, h].
  function miniRect(mw, mh) {
    const { w, h } = size(), ex = state.ex, C = Math.max(1, state.columns.length), rp = rowPx();
    const rows = Math.max(1, ex.R), worldW = C * col();
    const top = (state.panY - 20) / rp, bottom = (state.panY + h - HEADER - 20) / rp;
    const left = state.panX - MARGIN + col() / 2, right = left + w - MINI;
    const scale = miniScale(mh), y0 = Math.max(0, top * scale), y1 = Math.min(rows * scale, bottom * scale);
    const x0 = Math.max(0, left / worldW * mw), x1 = Math.min(mw, right / worldW * mw);
    return [x0, y0, Math.max(2, x1 - x0), Math.max(2, y1 - y0)];
  }
  function drawMinimap() {
    const mw = mini.clientWidth, mh = mini.clientHeight;
    if (!mw || !mh) return;
    if (mini.width !== mw || mini.height !== mh) { mini.width = mw; mini.height = mh; }
    mctx.putImageData(miniImage(mw, mh), 0, 0);
    const [x, y, rw, rh] = miniRect(mw, mh);
    mctx.fillStyle = "rgba(0,0,0,0.12)"; mctx.fillRect(x, y, rw, rh);
    mctx.strokeStyle = "#000"; mctx.lineWidth = 1.5; mctx.strokeRect(x + 0.75, y + 0.75, rw - 1.5, rh - 1.5);
    state.miniRect = [x, y, rw, rh].map((v) => Math.round(v * 10) / 10);
  }
  // Centres the view on the minimap's point (mx, my).
  function miniMove(mx, my) {
    const mw = mini.clientWidth, mh = mini.clientHeight, { w, h } = size();
    const row = Math.min(Math.max(1, state.ex.R), Math.max(0, my / miniScale(mh)));
    const worldX = Math.min(1, Math.max(0, mx / mw)) * state.columns.length * col() + MARGIN - col() / 2;
    state.panY = row * rowPx() + HEADER + 20 - (HEADER + h) / 2;
    state.panX = worldX - (w - MINI) / 2;
    clampPan(); changed();
  }
  let miniDrag = false;
  mini.addEventListener("mousedown", (ev) => {
    ev.preventDefault(); ev.stopPropagation(); miniDrag = true;
    const r = mini.getBoundingClientRect(); miniMove(ev.clientX - r.left, ev.clientY - r.top);
  });
  window.addEventListener("mousemove", (ev) => {
    if (!miniDrag) return;
    const r = mini.getBoundingClientRect(); miniMove(ev.clientX - r.left, ev.clientY - r.top);
  });
  window.addEventListener("mouseup", () => { miniDrag = false; });
  // The rows and columns the diagram shows now (for tests and the address).
  function viewport() {
    const { w, h } = size(), rp = rowPx();
    return {
      rows: [(state.panY - 20) / rp, (state.panY + h - HEADER - 20) / rp].map((v) => Math.round(v * 10) / 10),
      columns: [(state.panX - MARGIN + col() / 2) / col(), (state.panX + w - MINI - MARGIN + col() / 2) / col()]
        .map((v) => Math.round(v * 100) / 100),
    };
  }
  function drawHeads(r0, r1, c0, c1) {
    const ex = state.ex;
    ctx.fillStyle = "rgba(60,60,60,0.8)";
    for (let m = 0; m < ex.messages.length >> 1; m++) {
      const s = ex.messages[2 * m], r = ex.messages[2 * m + 1];
      const rr = ex.row[r];
      if (rr < r0 || rr > r1) continue;
      const cs = state.columnOf[ex.node[s]], cr = state.columnOf[ex.node[r]];
      if (cs < 0 || cr < 0 || cr < c0 || cr > c1) continue;
      const x2 = xOf(cr), y2 = yOf(rr), dx = x2 - xOf(cs), dy = y2 - yOf(ex.row[s]);
      const len = Math.hypot(dx, dy) || 1, ux = dx / len, uy = dy / len;
      const bx = x2 - ux * 7, by = y2 - uy * 7;
      ctx.beginPath(); ctx.moveTo(bx - ux * 7 - uy * 4, by - uy * 7 + ux * 4);
      ctx.lineTo(bx, by); ctx.lineTo(bx - ux * 7 + uy * 4, by - uy * 7 - ux * 4); ctx.fill();
    }
  }

  // ----- viewport -----
  function clampPan() {
    const { w, h } = size(), ex = state.ex;
    const maxY = Math.max(0, ex.R * rowPx() + 60 - (h - HEADER));
    state.panY = Math.min(Math.max(state.panY, -20), maxY);
    const maxX = Math.max(0, MARGIN + state.columns.length * col() - w + MINI);
    state.panX = Math.min(Math.max(state.panX, 0), maxX);
  }
  function zoomAt(factor, y) {
    const before = (state.panY + y - HEADER - 20) / rowPx();
    state.zoom = Math.min(4, Math.max(1e-5, state.zoom * factor));
    state.panY = before * rowPx() - y + HEADER + 20;
    clampPan(); changed();
  }
  function fit() {
    const { h } = size();
    state.colPx = COLUMN;
    state.zoom = Math.min(1, Math.max(1e-5, (h - HEADER - 50) / (Math.max(1, state.ex.R) * ROW)));
    state.panY = 0; state.panX = 0; clampPan(); changed();
  }
  // Zooms and scrolls so the causal path is all in view (narrowing the timelines' spacing
  // when it crosses more of them than the pane holds).
  function fitPath() {
    const ex = state.ex, { w, h } = size();
    if (!state.path) return;
    let r0 = Infinity, r1 = -Infinity, c0 = Infinity, c1 = -Infinity;
    for (const e of state.path) {
      const c = state.columnOf[ex.node[e]];
      if (c < 0) continue;
      r0 = Math.min(r0, ex.row[e]); r1 = Math.max(r1, ex.row[e]); c0 = Math.min(c0, c); c1 = Math.max(c1, c);
    }
    if (r0 > r1) return;
    const width = w - (state.cmp >= 0 ? 0 : MINI);
    state.zoom = Math.min(4, Math.max(1e-5, (h - HEADER - 80) / ((r1 - r0 + 1) * ROW)));
    state.colPx = Math.min(COLUMN, Math.max(24, (width - 100) / Math.max(1, c1 - c0)));
    state.panY = (r0 + r1) / 2 * rowPx() + HEADER + 20 - (HEADER + h) / 2;
    state.panX = MARGIN + (c0 + c1) / 2 * col() - width / 2;
    clampPan(); changed();
  }
  // Whether every shown event of the path is inside the pane.
  function pathInView() {
    if (!state.path) return null;
    const ex = state.ex, { w, h } = size(), width = w - (state.cmp >= 0 ? 0 : MINI);
    return state.path.every((e) => {
      const c = state.columnOf[ex.node[e]];
      if (c < 0) return true;
      const x = xOf(c), y = yOf(ex.row[e]);
      return x >= 0 && x <= width && y >= HEADER && y <= h;
    });
  }
  function centre(i) {
    const { w, h } = size(), ex = state.ex;
    if (rowPx() < 6) state.zoom = 6 / ROW * 2;
    state.panY = ex.row[i] * rowPx() + HEADER + 20 - h / 2;
    const c = state.columnOf[ex.node[i]];
    if (c >= 0) {
      const x = xOf(c);
      if (x < 20 || x > w - 20) state.panX = MARGIN + c * col() - w / 2;
    }
    clampPan();
  }
  function hit(px, py) {
    const ex = state.ex;
    if (px > size().w) return -1; // the other execution's pane
    const c = Math.round((px + state.panX - MARGIN) / col());
    if (c < 0 || c >= state.columns.length || Math.abs(xOf(c) - px) > 12) return -1;
    const list = ex.byNode[state.columns[c]], row = (py + state.panY - HEADER - 20) / rowPx();
    const k = lowerBound(list, ex, Math.floor(row));
    let best = -1, bestD = Math.max(10, 1);
    for (const j of [k - 1, k, k + 1]) {
      if (j < 0 || j >= list.length) continue;
      const d = Math.abs(yOf(ex.row[list[j]]) - py);
      if (d <= bestD) { best = list[j]; bestD = d; }
    }
    return best;
  }

  // ----- selection and panel -----
  function select(i, second) {
    if (second && state.selected >= 0 && i !== state.selected) {
      state.second = i;
      state.path = causalPath(state.ex, state.selected, i);
    }
    else { state.selected = i; state.second = -1; state.path = null; classify(); }
    panel(); changed();
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function clockText(ex, i) {
    const parts = [];
    for (let n = 0; n < ex.W; n++) {
      const v = ex.clock[i * ex.W + n];
      if (v) parts.push(JSON.stringify(ex.nodes[n]) + ":" + v);
    }
    return "{" + parts.join(", ") + "}";
  }
  function counts() {
    const c = [0, 0, 0, 0, 0];
    if (state.classes) for (let i = 0; i < state.classes.length; i++) c[state.classes[i]]++;
    return c;
  }
  function describe(ex, i) {
    let html = "<table><tr><td>id</td><td><b>" + esc(idOf(ex, i)) + "</b></td></tr>" +
      "<tr><td>node</td><td>" + esc(ex.nodes[ex.node[i]]) + "</td></tr>" +
      "<tr><td>line</td><td>" + ex.line[i] + "</td></tr>";
    const F = ex.fields.length;
    for (let f = 0; f < F; f++) {
      html += "<tr><td>" + esc(ex.fields[f]) + "</td><td>" + esc(ex.strings[ex.fieldValue[i * F + f]]) + "</td></tr>";
    }
    return html + "</table><h2>text</h2><pre>" + esc(textOf(ex, i)) + "</pre><h2>clock</h2><pre>" +
      esc(clockText(ex, i)) + "</pre>";
  }
  function panel() {
    const ex = state.ex, box = $("selection"), e = state.selected;
    if (e < 0) {
      box.innerHTML = '<p class="hint">Click an event to see its text, clock and causal past, ' +
        "future and concurrent events. Shift-click a second event to compare.</p>";
      $("legend").innerHTML = "";
      return;
    }
    let html = "<h2>Event</h2>" + describe(ex, e);
    if (state.second >= 0) {
      const answer = order(ex, e, state.second);
      html += '<h2>Compared with</h2><p class="answer" id="answer">' + esc(idOf(ex, e)) + " " +
        (answer === "equal" ? "equals" : answer === "concurrent" ? "is concurrent with" : "happens " + answer) +
        " " + esc(idOf(ex, state.second)) + "</p>" + describe(ex, state.second);
      if (state.path) {
        // The chain that makes the answer true, drawn as a thick line on the diagram.
        const path = state.path, SHOWN = 40;
        let messages = 0;
        for (let k = 1; k < path.length; k++) messages += ex.node[path[k]] !== ex.node[path[k - 1]];
        const ids = path.slice(0, SHOWN).map((p) => esc(idOf(ex, p)));
        if (path.length > SHOWN) ids.push("… " + (path.length - SHOWN - 1) + " more … " + esc(idOf(ex, path[path.length - 1])));
        html += '<h2>Causal path</h2><p id="path"><span class="swatch path"></span>' +
          messages + (messages === 1 ? " message: " : " messages: ") + ids.join(" → ") + "</p>" +
          '<button id="fitpath">fit path (p)</button>';
      }
    }
    box.innerHTML = html;
    if ($("fitpath")) $("fitpath").addEventListener("click", fitPath);
    const c = counts();
    $("legend").innerHTML = "<h2>Relative to " + esc(idOf(ex, e)) + "</h2>" +
      '<div><span class="swatch past"></span>causal past: ' + c[PAST] + "</div>" +
      '<div><span class="swatch future"></span>causal future: ' + c[FUTURE] + "</div>" +
      '<div><span class="swatch concurrent"></span>concurrent: ' + c[CONCURRENT] + "</div>";
  }

  // ----- nodes -----
  function nodeList() {
    if (state.cmp >= 0 && state.other) compare(state.cmp);
    const ex = state.ex, list = $("nodelist");
    list.innerHTML = "";
    const frag = document.createDocumentFragment();
    let filter = null;
    try { filter = state.filter ? new RegExp(state.filter, "i") : null; } catch (_) {
      filter = { test: (s) => s.toLowerCase().includes(state.filter.toLowerCase()) };
    }
    for (const n of state.order) {
      const li = document.createElement("li"), box = document.createElement("input");
      box.type = "checkbox"; box.checked = !state.hidden.has(n); box.dataset.node = n;
      box.id = "node-" + n;
      const label = document.createElement("label");
      label.htmlFor = box.id; label.textContent = " " + ex.nodes[n] + " (" + ex.byNode[n].length + ")";
      li.title = ex.nodes[n];
      li.append(box, label);
      frag.append(li);
    }
    list.append(frag);
    $("nodecount").textContent = "(" + state.columns.length + " of " + ex.W + " shown)";
    void filter;
  }
  function applyFilter() {
    const ex = state.ex;
    let test;
    try { const re = new RegExp(state.filter, "i"); test = (s) => re.test(s); } catch (_) {
      test = (s) => s.toLowerCase().includes(state.filter.toLowerCase());
    }
    if (state.filter) {
      state.hidden = new Set();
      for (let n = 0; n < ex.W; n++) if (!test(ex.nodes[n])) state.hidden.add(n);
    }
    setColumns(); nodeList(); clampPan(); changed();
  }

  // ----- search (ShiViz's syntax: terms joined by && and ||; && binds tighter) -----
  function parseQuery(q) {
    return q.split("||").map((alt) => alt.split("&&").map((t) => parseTerm(t.trim())));
  }
  function parseTerm(t) {
    let m = /^([\w.-]+)\s*(!?=~)\s*\/(.*)\/([a-z]*)$/.exec(t);
    if (m) return { key: m[1], re: new RegExp(m[3], m[4].replace("g", "")), not: m[2][0] === "!" };
    m = /^([\w.-]+)\s*(!?=)\s*(.*)$/.exec(t);
    if (m) return { key: m[1], value: m[3].replace(/^"(.*)"$/, "$1"), not: m[2][0] === "!" };
    m = /^\/(.*)\/([a-z]*)$/.exec(t);
    if (m) return { key: null, re: new RegExp(m[1], m[2].replace("g", "")) };
    if (!t) throw new Error("empty term");
    return { key: null, word: t.toLowerCase() };
  }
  function termMatches(ex, term, i) {
    const values = [];
    const F = ex.fields.length;
    if (term.key === null) {
      values.push(textOf(ex, i), ex.nodes[ex.node[i]]);
      for (let f = 0; f < F; f++) values.push(ex.strings[ex.fieldValue[i * F + f]]);
    } else if (term.key === "event" || term.key === "text") values.push(textOf(ex, i));
    else if (term.key === "host" || term.key === "node") values.push(ex.nodes[ex.node[i]]);
    else if (term.key === "id") values.push(idOf(ex, i));
    else if (term.key === "line") values.push(String(ex.line[i]));
    else {
      const f = ex.fields.indexOf(term.key);
      if (f < 0) throw new Error("no field '" + term.key + "' (fields: event, host" +
        ex.fields.map((x) => ", " + x).join("") + ")");
      values.push(ex.strings[ex.fieldValue[i * F + f]]);
    }
    let hit;
    if (term.re) hit = values.some((v) => term.re.test(v));
    else if (term.word !== undefined) hit = values.some((v) => v.toLowerCase().includes(term.word));
    else hit = values.some((v) => v === term.value);
    return term.not ? !hit : hit;
  }
  // ----- ShiViz's structured searches (#request-response, #broadcast, #gather), with its
  // definitions and parameters (RequestResponseFinder(999, 4); BroadcastGatherFinder(shown
  // hosts - 1, 4) in its greedy form), over the shown nodes: hidden nodes' events and the
  // messages to and from them take no part, as in ShiViz. -----
  function links(ex) {
    if (ex.kids) return;
    // Per event: the receives of the messages it sends (kids) and the sends of those it
    // receives (parents), as lists in two flat arrays.
    const M = ex.messages.length >> 1, outs = new Uint32Array(ex.N + 1), ins = new Uint32Array(ex.N + 1);
    for (let m = 0; m < M; m++) { outs[ex.messages[2 * m] + 1]++; ins[ex.messages[2 * m + 1] + 1]++; }
    for (let i = 0; i < ex.N; i++) { outs[i + 1] += outs[i]; ins[i + 1] += ins[i]; }
    const kid = new Uint32Array(M), parent = new Uint32Array(M), fo = outs.slice(0, ex.N), fi = ins.slice(0, ex.N);
    for (let m = 0; m < M; m++) { kid[fo[ex.messages[2 * m]]++] = ex.messages[2 * m + 1]; parent[fi[ex.messages[2 * m + 1]]++] = ex.messages[2 * m]; }
    ex.kids = { start: outs, list: kid }; ex.parents = { start: ins, list: parent };
    ex.posOf = new Uint32Array(ex.N);
    for (const list of ex.byNode) for (let k = 0; k < list.length; k++) ex.posOf[list[k]] = k;
  }
  function motifs(ex, kind) {
    links(ex);
    const shown = (e) => state.columnOf[ex.node[e]] >= 0;
    const of = (rel, e) => { const out = []; for (let k = rel.start[e]; k < rel.start[e + 1]; k++) if (shown(rel.list[k])) out.push(rel.list[k]); return out; };
    const found = [];
    if (kind === "request-response") {
      const seen = new Uint8Array(ex.N);
      for (const c of state.columns) {
        for (const s of ex.byNode[c]) {
          const first = of(ex.kids, s);
          if (seen[s] || first.length !== 1 || of(ex.parents, s).length) continue;
          // The responder's chain: the receive, then at most 4 events without messages
          // in, until one sends exactly one message, back to the requester.
          const trail = [s], list = ex.byNode[ex.node[first[0]]];
          for (let at = first[0], len = 0; ; len++) {
            const kids = of(ex.kids, at), parents = of(ex.parents, at);
            if (seen[at] || parents.length > 1 || (len && parents.length) || kids.length > 1 || len > 4) break;
            trail.push(at);
            if (kids.length) {
              const e = kids[0];
              if (!seen[e] && !of(ex.kids, e).length && of(ex.parents, e).length <= 1 &&
                ex.node[e] === ex.node[s] && ex.posOf[e] - ex.posOf[s] <= 999) {
                trail.push(e); for (const t of trail) seen[t] = 1; found.push(trail);
              }
              break;
            }
            if (ex.posOf[at] + 1 >= list.length) break;
            at = list[ex.posOf[at] + 1];
          }
        }
      }
    } else {
      // Broadcast: consecutive events of one node sending to new nodes (none receiving
      // but the first), at most 4 events apart, reaching every other shown node; gather
      // is the same with messages in and out swapped (and the first receives too).
      const broadcast = kind === "broadcast", least = Math.max(1, state.columns.length - 1);
      const good = broadcast ? ex.kids : ex.parents, bad = broadcast ? ex.parents : ex.kids;
      for (const c of state.columns) {
        const list = ex.byNode[c];
        let group = null;
        const close = () => {
          if (group && group.hosts.size >= least) {
            const events = Array.from(list.subarray(group.start, group.last + 1));
            for (const e of list.subarray(group.start, group.last + 1)) events.push(...of(good, e));
            found.push(events);
          }
          group = null;
        };
        for (let k = 0; k < list.length; k++) {
          const e = list[k], links = of(good, e), hasBad = of(bad, e).length > 0;
          if (group && (k - group.last > 4 || hasBad || (links.length && links.every((x) => group.hosts.has(ex.node[x]))))) close();
          if (links.length && (broadcast || !hasBad)) {
            if (!group) group = { start: k, last: k, hosts: new Set() };
            for (const x of links) group.hosts.add(ex.node[x]);
            group.last = k;
          }
        }
        close();
      }
    }
    return found;
  }
  function motifSearch(kind) {
    const ex = state.ex, found = motifs(ex, kind), flags = new Uint8Array(ex.N);
    let events = 0;
    for (const m of found) for (const e of m) if (!flags[e]) { flags[e] = 1; events++; }
    found.sort((a, b) => ex.row[a[0]] - ex.row[b[0]]);
    state.motifs = found; state.matchFlags = flags; state.matches = found.map((m) => m[0]);
    $("count").textContent = found.length + " " + kind + (found.length === 1 ? "" : "s") + " (" + events + " events)";
  }

  function search(q, jump) {
    const ex = state.ex;
    state.query = q; state.matches = null; state.matchFlags = null; state.matchAt = -1;
    state.miniImage = null;
    state.searchError = "";
    const count = $("count");
    count.classList.remove("error");
    if (!q.trim()) { count.textContent = ""; changed(); return; }
    state.motifs = null;
    const motif = /^#(?:motif\s*=\s*)?(.*)$/i.exec(q.trim());
    if (motif) {
      const kind = motif[1].trim().toLowerCase();
      if (kind === "request-response" || kind === "broadcast" || kind === "gather") {
        motifSearch(kind);
        if (jump && state.matches.length) step(1);
      } else {
        state.searchError = "no structured search '#" + kind + "' (#request-response, #broadcast, #gather)";
        count.textContent = state.searchError; count.classList.add("error");
      }
      changed(); return;
    }
    const id = findId(ex, q);
    if (id >= 0) {
      count.textContent = "event " + idOf(ex, id);
      if (state.hidden.has(ex.node[id])) { state.hidden.delete(ex.node[id]); setColumns(); nodeList(); }
      select(id, false); centre(id); changed(); return;
    }
    let alternatives;
    try { alternatives = parseQuery(q); } catch (err) {
      state.searchError = err.message; count.textContent = err.message; count.classList.add("error");
      changed(); return;
    }
    const flags = new Uint8Array(ex.N), found = [];
    try {
      for (let i = 0; i < ex.N; i++) {
        if (alternatives.some((terms) => terms.every((t) => termMatches(ex, t, i)))) { flags[i] = 1; found.push(i); }
      }
    } catch (err) {
      state.searchError = err.message; count.textContent = err.message; count.classList.add("error");
      changed(); return;
    }
    found.sort((a, b) => ex.row[a] - ex.row[b] || ex.node[a] - ex.node[b]);
    state.matches = found; state.matchFlags = flags;
    count.textContent = found.length + " match" + (found.length === 1 ? "" : "es");
    if (jump && found.length) step(1);
    changed();
  }
  function step(dir) {
    const found = state.matches;
    if (!found || !found.length) return;
    state.matchAt = (state.matchAt + dir + found.length) % found.length;
    const i = found[state.matchAt];
    $("count").textContent = (state.matchAt + 1) + " of " + found.length + (state.motifs ? " motifs" : "");
    if (state.hidden.has(state.ex.node[i])) { state.hidden.delete(state.ex.node[i]); setColumns(); nodeList(); }
    select(i, false); centre(i); changed();
  }

  // ----- comparing two executions (ShiViz's "show differences": nodes one lacks, and
  // events whose text the same node of the other lacks; plus the first divergence) -----
  function texts(ex, n) { return Array.from(ex.byNode[n], (i) => textOf(ex, i)); }
  // What `ex` has that `other` lacks, and where they first part: on each node, the first
  // position where the texts differ (or one runs out); of those, the earliest row.
  function difference(ex, other) {
    const flags = new Uint8Array(ex.N), only = new Set();
    let first = -1, firstNode = -1, firstAt = -1;
    const consider = (n, k) => {
      const e = ex.byNode[n][k];
      if (e === undefined) return;
      if (first < 0 || ex.row[e] < ex.row[first] || (ex.row[e] === ex.row[first] && ex.nodes[n] < ex.nodes[firstNode])) {
        first = e; firstNode = n; firstAt = k;
      }
    };
    for (let n = 0; n < ex.W; n++) {
      const m = other.nodes.indexOf(ex.nodes[n]), mine = texts(ex, n);
      if (m < 0) { only.add(n); for (const e of ex.byNode[n]) flags[e] = 1; consider(n, 0); continue; }
      const theirs = texts(other, m), known = new Set(theirs);
      mine.forEach((t, k) => { if (!known.has(t)) flags[ex.byNode[n][k]] = 1; });
      let k = 0;
      while (k < mine.length && k < theirs.length && mine[k] === theirs[k]) k++;
      if (k < mine.length) consider(n, k); // (when this side ran out, the other's candidate is there)
    }
    return { flags, only, first, firstNode: firstNode >= 0 ? ex.nodes[firstNode] : null, firstAt };
  }
  const PANE = ["ex", "columns", "columnOf", "order", "classes", "matchFlags", "path", "selected", "second", "diff"];
  function swapPane() {
    for (const k of PANE) { const t = state[k]; state[k] = state.other[k]; state.other[k] = t; }
  }
  function compare(k) {
    state.cmp = k >= 0 && k !== state.x && k < DATA.executions.length ? k : -1;
    $("compare").value = String(state.cmp);
    if (state.cmp < 0) { state.diff = null; state.other = null; comparePanel(); changed(); return; }
    const a = state.ex, b = execution(state.cmp);
    const da = difference(a, b), db = difference(b, a);
    // The first divergence is one place in both: the earlier of the two sides' candidates.
    const useA = da.first >= 0 && (db.first < 0 || a.row[da.first] <= b.row[db.first]);
    const node = useA ? da.firstNode : db.firstNode, at = useA ? da.firstAt : db.firstAt;
    const pick = (ex, d) => {
      const n = node === null ? -1 : ex.nodes.indexOf(node);
      d.first = n >= 0 && at >= 0 && at < ex.byNode[n].length ? ex.byNode[n][at] : -1;
      return d;
    };
    state.diff = pick(a, da);
    // The other pane: its nodes in this pane's order (by name), then its own; hidden by name.
    const names = new Map(b.nodes.map((x, n) => [x, n])), order = [];
    for (const n of state.order) if (names.has(a.nodes[n])) order.push(names.get(a.nodes[n]));
    for (let n = 0; n < b.W; n++) if (!order.includes(n)) order.push(n);
    const columnOf = new Int32Array(b.W).fill(-1), columns = [];
    const hidden = new Set([...state.hidden].map((n) => a.nodes[n]));
    for (const n of order) if (!hidden.has(b.nodes[n])) { columnOf[n] = columns.length; columns.push(n); }
    state.other = {
      ex: b, columns, columnOf, order, classes: null, matchFlags: null, path: null, selected: -1, second: -1,
      diff: pick(b, db),
    };
    comparePanel(); changed();
  }
  function comparePanel() {
    const box = $("comparison");
    if (state.cmp < 0) { box.innerHTML = ""; return; }
    const a = state.ex, b = state.other.ex, da = state.diff, db = state.other.diff;
    const names = (ex, d) => [...d.only].map((n) => esc(ex.nodes[n])).join(", ") || "none";
    const count = (d) => d.flags.reduce((s, f) => s + f, 0);
    const side = (ex, e) => e >= 0 ? "<b>" + esc(idOf(ex, e)) + "</b> " + esc(textOf(ex, e)) : "(no event: the node ends)";
    let html = "<h2>Compared with " + esc(b.name || "(unnamed)") + '</h2><table id="differences">' +
      "<tr><td>nodes only here</td><td>" + names(a, da) + "</td></tr>" +
      "<tr><td>nodes only there</td><td>" + names(b, db) + "</td></tr>" +
      '<tr><td><span class="swatch diff"></span>events only here</td><td>' + count(da) + "</td></tr>" +
      '<tr><td><span class="swatch diff"></span>events only there</td><td>' + count(db) + "</td></tr></table>";
    if (da.first >= 0 || db.first >= 0) {
      html += "<h2>First divergence</h2><p>on " + esc(da.firstNode || db.firstNode) + ", event " + (Math.max(da.firstAt, db.firstAt) + 1) +
        ":</p><p>here: " + side(a, da.first) + "</p><p>there: " + side(b, db.first) + '</p><button id="divergence">show it (d)</button>';
    } else html += "<p>The executions do not differ.</p>";
    box.innerHTML = html;
    const go = $("divergence");
    if (go) go.addEventListener("click", showDivergence);
  }
  function showDivergence() {
    if (state.cmp < 0) return;
    const e = state.diff.first >= 0 ? state.diff.first : -1;
    if (e >= 0) { centre(e); changed(); return; }
    // Only the other side has the event: centre on its row.
    const o = state.other.diff.first;
    if (o >= 0) { state.panY = state.other.ex.row[o] * rowPx() + HEADER + 20 - size().h / 2; clampPan(); changed(); }
  }

  // ----- the address keeps the view -----
  let hashTimer = 0;
  function changed() {
    redraw();
    clearTimeout(hashTimer);
    hashTimer = setTimeout(writeHash, 150);
  }
  function writeHash() {
    const ex = state.ex, parts = [];
    if (state.x) parts.push("x=" + state.x);
    if (state.selected >= 0) parts.push("e=" + encodeURIComponent(idOf(ex, state.selected)));
    if (state.second >= 0) parts.push("e2=" + encodeURIComponent(idOf(ex, state.second)));
    if (state.hidden.size && !state.filter) {
      // Each name encoded, then the list: names may hold commas.
      parts.push("hide=" + encodeURIComponent([...state.hidden].map((n) => encodeURIComponent(ex.nodes[n])).join(",")));
    }
    if (state.filter) parts.push("nodes=" + encodeURIComponent(state.filter));
    if (state.sort === "custom") {
      parts.push("sort=" + encodeURIComponent("custom:" + state.order.map((n) => encodeURIComponent(ex.nodes[n])).join(",")));
    } else if (state.sort !== "log") parts.push("sort=" + state.sort);
    if (state.query) parts.push("q=" + encodeURIComponent(state.query));
    if (state.cmp >= 0) parts.push("cmp=" + state.cmp);
    parts.push("v=" + Math.round(state.panX) + "," + Math.round(state.panY) + "," + state.zoom.toPrecision(4) +
      (state.colPx !== COLUMN ? "," + state.colPx.toFixed(1) : ""));
    const keep = location.hash.match(/(?:^#|&)(test=[^&]*|click=[^&]*)/g) || [];
    const hash = "#" + parts.concat(keep.map((s) => s.replace(/^[#&]/, ""))).join("&");
    if (hash !== location.hash) history.replaceState(null, "", hash);
  }
  function readHash() {
    const params = {};
    for (const part of location.hash.replace(/^#/, "").split("&")) {
      const at = part.indexOf("=");
      if (at > 0) params[part.slice(0, at)] = decodeURIComponent(part.slice(at + 1));
      else if (part) params[part] = "";
    }
    return params;
  }

  function show(k, params) {
    state.x = Math.min(Math.max(0, k | 0), DATA.executions.length - 1);
    state.cmp = -1; state.diff = null; state.other = null;
    state.ex = execution(state.x);
    const ex = state.ex;
    state.hidden = new Set(); state.selected = -1; state.second = -1; state.path = null; state.classes = null;
    state.filter = params.nodes || "";
    $("nodefilter").value = state.filter;
    if (params.hide) {
      for (const name of params.hide.split(",")) {
        const n = ex.nodes.indexOf(decodeURIComponent(name));
        if (n >= 0) state.hidden.add(n);
      }
    }
    $("execution").value = String(state.x);
    const sort = params.sort || "log";
    sortNodes(sort.split(":")[0], sort.startsWith("custom:") ? sort.slice(7).split(",").map(decodeURIComponent) : null);
    if (state.filter) applyFilter(); else { setColumns(); nodeList(); }
    fit();
    if (params.v) {
      const [px, py, z, cp] = params.v.split(",").map(Number);
      if (cp >= 24 && cp <= COLUMN) state.colPx = cp;
      if (z > 0) { state.panX = px || 0; state.panY = py || 0; state.zoom = z; clampPan(); }
    }
    const e = params.e ? findId(ex, params.e) : -1;
    if (e >= 0) { select(e, false); if (!params.v) centre(e); }
    const e2 = params.e2 ? findId(ex, params.e2) : -1;
    if (e2 >= 0 && e >= 0) select(e2, true);
    if (e < 0) panel();
    $("search").value = params.q || "";
    search(params.q || "", false);
    compare(params.cmp !== undefined ? Number(params.cmp) : -1);
    if (params.cmp !== undefined && params.divergence !== undefined) showDivergence();
    draw();
  }

  // ----- input -----
  let drag = null;
  canvas.addEventListener("mousedown", (ev) => {
    const r = canvas.getBoundingClientRect();
    if (ev.clientY - r.top < HEADER) {
      // A press on a node's name: drag the timeline to another place.
      const c = Math.round((ev.clientX - r.left + state.panX - MARGIN) / col());
      if (c >= 0 && c < state.columns.length) state.moving = { from: c, x: ev.clientX - r.left };
      return;
    }
    drag = { x: ev.clientX, y: ev.clientY, panX: state.panX, panY: state.panY, moved: false };
    canvas.classList.add("dragging");
  });
  window.addEventListener("mousemove", (ev) => {
    if (state.moving) { state.moving.x = ev.clientX - canvas.getBoundingClientRect().left; redraw(); return; }
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) { state.panX = drag.panX - dx; state.panY = drag.panY - dy; clampPan(); changed(); }
  });
  window.addEventListener("mouseup", (ev) => {
    if (state.moving) {
      const { from } = state.moving, x = ev.clientX - canvas.getBoundingClientRect().left;
      state.moving = null;
      moveColumn(from, Math.min(state.columns.length - 1, Math.max(0, Math.round((x + state.panX - MARGIN) / col()))));
      redraw();
    }
    canvas.classList.remove("dragging"); setTimeout(() => { drag = null; }, 0);
  });
  canvas.addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const r = canvas.getBoundingClientRect();
    const i = hit(ev.clientX - r.left, ev.clientY - r.top);
    if (i >= 0) select(i, ev.shiftKey);
    canvas.focus();
  });
  canvas.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    if (ev.ctrlKey || ev.metaKey) { zoomAt(Math.exp(-ev.deltaY * 0.002), ev.clientY - r.top); return; }
    if (ev.shiftKey) state.panX += ev.deltaY; else { state.panY += ev.deltaY; state.panX += ev.deltaX; }
    clampPan(); changed();
  }, { passive: false });
  window.addEventListener("resize", () => { clampPan(); redraw(); });
  window.addEventListener("keydown", (ev) => {
    const typing = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement;
    if (ev.key === "Escape") {
      $("help").hidden = true;
      if (typing) { ev.target.blur(); return; }
      state.selected = -1; state.second = -1; state.path = null; state.classes = null; panel(); changed(); return;
    }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const { h } = size(), ex = state.ex;
    switch (ev.key) {
      case "ArrowUp": state.panY -= 60; break;
      case "ArrowDown": state.panY += 60; break;
      case "ArrowLeft": state.panX -= 60; break;
      case "ArrowRight": state.panX += 60; break;
      case "PageUp": state.panY -= h * 0.9; break;
      case "PageDown": case " ": state.panY += h * 0.9; break;
      case "Home": state.panY = -20; break;
      case "End": state.panY = 1e15; break;
      case "+": case "=": zoomAt(1.25, h / 2); return;
      case "-": zoomAt(0.8, h / 2); return;
      case "f": fit(); return;
      case "/": ev.preventDefault(); $("search").focus(); return;
      case "n": step(1); return;
      case "d": showDivergence(); return;
      case "p": fitPath(); return;
      case "N": step(-1); return;
      case "?": $("help").hidden = !$("help").hidden; return;
      case "j": case "k": {
        if (state.selected < 0) return;
        const list = ex.byNode[ex.node[state.selected]];
        const at = list.indexOf(state.selected) + (ev.key === "j" ? 1 : -1);
        if (at >= 0 && at < list.length) { select(list[at], false); centre(list[at]); changed(); }
        return;
      }
      default: return;
    }
    ev.preventDefault(); clampPan(); changed();
  });
  $("search").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      if (ev.target.value === state.query && state.matches) step(ev.shiftKey ? -1 : 1);
      else search(ev.target.value, true);
    }
  });
  $("search").addEventListener("search", (ev) => { if (!ev.target.value) search("", false); });
  $("next").addEventListener("click", () => step(1));
  $("prev").addEventListener("click", () => step(-1));
  $("fit").addEventListener("click", fit);
  $("zoomin").addEventListener("click", () => zoomAt(1.25, size().h / 2));
  $("zoomout").addEventListener("click", () => zoomAt(0.8, size().h / 2));
  $("helpbutton").addEventListener("click", () => { $("help").hidden = !$("help").hidden; });
  $("nodefilter").addEventListener("input", (ev) => {
    state.filter = ev.target.value;
    if (!state.filter) { state.hidden = new Set(); }
    applyFilter();
  });
  $("nodeorder").addEventListener("change", (ev) => {
    sortNodes(ev.target.value === "custom" ? state.sort : ev.target.value, null);
    setColumns(); nodeList(); changed();
  });
  $("nodelist").addEventListener("change", (ev) => {
    const n = Number(ev.target.dataset.node);
    if (ev.target.checked) state.hidden.delete(n); else state.hidden.add(n);
    state.filter = ""; $("nodefilter").value = "";
    setColumns(); nodeList(); clampPan(); changed();
  });
  $("showall").addEventListener("click", () => { state.hidden = new Set(); state.filter = ""; $("nodefilter").value = ""; setColumns(); nodeList(); changed(); });
  $("hideall").addEventListener("click", () => {
    state.hidden = new Set(state.ex.nodes.map((_, n) => n)); state.filter = ""; $("nodefilter").value = "";
    setColumns(); nodeList(); changed();
  });
  const picker = $("execution");
  DATA.executions.forEach((x, k) => {
    const o = document.createElement("option");
    o.value = String(k);
    o.textContent = (x.name || "(unnamed)") + " \u2014 " + x.events + " events, " + x.nodes.length + " nodes";
    picker.append(o);
  });
  picker.disabled = DATA.executions.length < 2;
  const against = $("compare");
  DATA.executions.forEach((x, k) => {
    const o = document.createElement("option");
    o.value = String(k); o.textContent = x.name || "(unnamed)";
    against.append(o);
  });
  against.disabled = DATA.executions.length < 2;
  against.addEventListener("change", () => compare(Number(against.value)));
  picker.addEventListener("change", () => show(Number(picker.value), {}));

  // ----- scripting and tests -----
  function snapshot() {
    const ex = state.ex, c = counts();
    const ids = (cls) => {
      if (!state.classes || ex.N > 5000) return null;
      const out = [];
      for (let i = 0; i < ex.N; i++) if (state.classes[i] === cls) out.push(idOf(ex, i));
      return out;
    };
    return {
      executions: DATA.executions.length, execution: state.x, name: ex.name, events: ex.N,
      nodes: ex.W, shownNodes: state.columns.length, messages: ex.messages.length >> 1,
      columns: state.columns.map((n) => ex.nodes[n]), sort: state.sort,
      rows: ex.R, selected: state.selected >= 0 ? idOf(ex, state.selected) : null,
      second: state.second >= 0 ? idOf(ex, state.second) : null,
      answer: state.second >= 0 ? order(ex, state.selected, state.second) : null,
      path: state.path ? state.path.map((e) => idOf(ex, e)) : null, pathInView: pathInView(),
      counts: { past: c[PAST], future: c[FUTURE], concurrent: c[CONCURRENT] },
      past: ids(PAST), future: ids(FUTURE), concurrent: ids(CONCURRENT),
      panel: $("selection").textContent,
      query: state.query, matches: state.matches ? state.matches.length : null,
      motifs: state.motifs && state.motifs.length <= 1000 ? state.motifs.map((m) => m.map((e) => idOf(ex, e))) : null,
      searchError: state.searchError, errors: errors.slice(), firstPaintMs: state.firstPaint,
      compare: state.cmp < 0 ? null : compareState(),
      viewport: viewport(), minimap: { rect: state.miniRect, width: mini.clientWidth, height: mini.clientHeight },
      // Every execution as the page decodes it (decoding each one).
      all: DATA.executions.map((_, k) => {
        const x = execution(k);
        return { name: x.name, events: x.node.length, nodes: x.nodes };
      }),
    };
  }
  function compareState() {
    const sides = [[state.ex, state.diff], [state.other.ex, state.other.diff]].map(([ex, d]) => ({
      name: ex.name, only: [...d.only].map((n) => ex.nodes[n]).sort(),
      events: ex.N <= 5000 ? [...d.flags.keys()].filter((i) => d.flags[i]).map((i) => idOf(ex, i)) : null,
      first: d.first >= 0 ? idOf(ex, d.first) : null,
    }));
    return { here: sides[0], there: sides[1], shownThere: state.other.columns.length };
  }
  // Clicks the event with this id as a user would: scrolls it into view, then dispatches a
  // real click at its position on the canvas (so hit testing is exercised).
  function clickEvent(id, shift) {
    const ex = state.ex, i = findId(ex, id);
    if (i < 0) { errors.push("test: no event " + id); return; }
    centre(i); draw();
    const r = canvas.getBoundingClientRect();
    const x = r.left + xOf(state.columnOf[ex.node[i]]), y = r.top + yOf(ex.row[i]);
    canvas.dispatchEvent(new MouseEvent("click", { clientX: x, clientY: y, shiftKey: !!shift, bubbles: true }));
  }
  // For the benchmark (benches/view_page.mjs): `frames` animation frames, each moving the
  // view by `dy` px (a pan) or zooming by `factor` (a zoom) and drawing; per frame the time
  // since the previous frame and the time drawing took, in ms.
  function bench(frames, dy, factor) {
    return new Promise((resolve) => {
      const intervals = [], draws = [];
      let last = 0;
      const tick = (now) => {
        if (last) intervals.push(now - last);
        last = now;
        if (factor) zoomAt(factor, size().h / 2); else { state.panY += dy; clampPan(); }
        const t0 = performance.now(); draw(); draws.push(performance.now() - t0);
        if (draws.length < frames) requestAnimationFrame(tick); else resolve({ intervals, draws });
      };
      requestAnimationFrame(tick);
    });
  }
  // Milliseconds a click on event `id` takes to classify every event and draw.
  function benchSelect(id) {
    const t0 = performance.now(); clickEvent(id, false); draw();
    return performance.now() - t0;
  }
  const setView = (x, y, zoom) => { state.panX = x; state.panY = y; state.zoom = zoom; clampPan(); draw(); };
  window.causetView = { bench, benchSelect, fit, setView, timing: () => ({ firstPaintMs: state.firstPaint, firstFrameMs: state.firstFrame }), state: snapshot, select: (id) => clickEvent(id, false), search, show, order: (a, b) => order(state.ex, findId(state.ex, a), findId(state.ex, b)) };

  try {
    const params = readHash();
    show(Number(params.x) || 0, params);
    // Milliseconds from the start of navigation to the end of the first full paint.
    state.firstPaint = performance.now();
    // ... and to the first frame the browser shows after it.
    requestAnimationFrame(() => setTimeout(() => { state.firstFrame = performance.now(); }, 0));
    if (params.click) params.click.split(",").forEach((id, k) => clickEvent(decodeURIComponent(id), k > 0));
    if (params.fitpath !== undefined) $("fitpath") ? $("fitpath").click() : errors.push("test: no fit path button");
    if (params.dragnode) {
      // Test hook: drags the first node's name onto the second's, as real mouse events.
      const r = canvas.getBoundingClientRect();
      const [a, b] = params.dragnode.split(",").map((x) => state.columnOf[state.ex.nodes.indexOf(decodeURIComponent(x))]);
      for (const c of [a, b]) { if (xOf(c) < 0 || xOf(c) > size().w) { state.panX = MARGIN + c * col() - size().w / 2; clampPan(); } }
      const at = (c) => ({ clientX: r.left + xOf(c), clientY: r.top + HEADER / 2, bubbles: true });
      canvas.dispatchEvent(new MouseEvent("mousedown", at(a)));
      window.dispatchEvent(new MouseEvent("mousemove", at(b)));
      window.dispatchEvent(new MouseEvent("mouseup", at(b)));
    }
    if (params.minimap) {
      // Test hook: a press on the minimap at fractions of its size, dragged through the
      // further points ("0.5,0.7;0.2,0.3"), then released, as real mouse events.
      const r = mini.getBoundingClientRect();
      const at = (p) => { const [fx, fy] = p.split(",").map(Number); return { clientX: r.left + fx * r.width, clientY: r.top + fy * r.height, bubbles: true }; };
      const points = params.minimap.split(";");
      mini.dispatchEvent(new MouseEvent("mousedown", at(points[0])));
      for (const p of points.slice(1)) window.dispatchEvent(new MouseEvent("mousemove", at(p)));
      window.dispatchEvent(new MouseEvent("mouseup", at(points[points.length - 1])));
    }
    if (params.test !== undefined) {
      draw();
      $("causet-state").textContent = JSON.stringify(snapshot());
    }
  } catch (err) {
    errors.push(String(err && err.stack || err));
    $("causet-state").textContent = JSON.stringify({ errors });
    throw err;
  }
})();
