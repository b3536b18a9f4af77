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
  $("causet-data").remove(); // (its text is tens of megabytes for a million events)
  const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

  // An INTS array of the data ({bytes, base64}): a typed array of that width.
  function ints(a) {
    let bytes;
    if (typeof Uint8Array.fromBase64 === "function") {
      bytes = Uint8Array.fromBase64(a.base64);
    } else {
      const raw = atob(a.base64);
      bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    }
    if (a.bytes === 1) return bytes;
    const Type = a.bytes === 2 ? Uint16Array : Uint32Array, n = bytes.length / a.bytes;
    if (LITTLE) return new Type(bytes.buffer, bytes.byteOffset, n);
    const view = new DataView(bytes.buffer), out = new Type(n);
    for (let i = 0; i < n; i++) out[i] = a.bytes === 2 ? view.getUint16(2 * i, true) : view.getUint32(4 * i, true);
    return out;
  }

  // One execution, decoded on first use (its base64 strings are dropped then).
  const decoded = [];
  function execution(k) {
    if (decoded[k]) return decoded[k];
    const x = DATA.executions[k];
    const N = x.events, W = x.nodes.length;
    const node = ints(x.node);
    // Dense clocks from the changes: each event starts from its node's previous clock.
    const count = ints(x.clockCount), entry = ints(x.clockNode), value = ints(x.clockValue);
    const clock = new (value.BYTES_PER_ELEMENT <= 2 ? Uint16Array : Uint32Array)(N * W);
    const last = new Int32Array(W).fill(-1);
    for (let i = 0, at = 0; i < N; i++) {
      const n = node[i], base = i * W;
      if (last[n] >= 0) clock.copyWithin(base, last[n] * W, last[n] * W + W);
      for (let c = count[i]; c > 0; c--, at++) clock[base + entry[at]] = value[at];
      last[n] = i;
    }
    const length = ints(x.textLength), textEnd = new Uint32Array(N);
    for (let i = 0, end = 0; i < N; i++) { end += length[i]; textEnd[i] = end; }
    const ex = {
      name: x.name, nodes: x.nodes, N, W, node, clock, baseRow: ints(x.row), baseR: x.rows, monotone: !!x.monotone,
      textEnd, text: x.text, line: ints(x.line), fields: x.fields, fieldValue: ints(x.fieldValue),
      strings: x.strings, messages: ints(x.messages),
    };
    DATA.executions[k] = { name: x.name, nodes: x.nodes, events: N };
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
    findRuns(ex);
    layRows(ex);
    // Messages by send row, in chunks that know their lowest receive row, so drawing visits
    // only the chunks that can cross the viewport. (Expanding runs keeps the order: rows
    // only move apart.)
    const M = ex.messages.length >> 1;
    ex.msgOrder = countingSort(M, (m) => ex.row[ex.messages[2 * m]], ex.R);
    chunks(ex);
    decoded[k] = ex;
    return ex;
  }
  // The items 0..n-1 sorted by key(item) (integers below `keys`), stably: a counting sort.
  function countingSort(n, key, keys, items) {
    const start = new Uint32Array(keys + 1), out = new Uint32Array(n);
    for (let k = 0; k < n; k++) start[key(items ? items[k] : k) + 1]++;
    for (let r = 0; r < keys; r++) start[r + 1] += start[r];
    for (let k = 0; k < n; k++) { const item = items ? items[k] : k; out[start[key(item)]++] = item; }
    return out;
  }
  function chunks(ex) {
    const M = ex.msgOrder.length, order = ex.msgOrder;
    ex.chunkMax = new Uint32Array(Math.ceil(M / 256));
    for (let m = 0; m < M; m++) {
      const r = ex.row[ex.messages[2 * order[m] + 1]], c = m >> 8;
      if (r > ex.chunkMax[c]) ex.chunkMax[c] = r;
    }
  }
  // ----- collapsed runs: consecutive local events of a node share one row and are drawn as
  // one numbered dot until expanded (a click on it); expanding inserts rows below the run's
  // row, so everything below stays below (the layout stays causal) -----
  function findRuns(ex) {
    const starts = [], lens = [], pos = [];
    ex.runOf = new Int32Array(ex.N).fill(-1);
    for (const list of ex.byNode) {
      for (let k = 0; k < list.length;) {
        let j = k + 1;
        while (j < list.length && ex.baseRow[list[j]] === ex.baseRow[list[k]]) j++;
        if (j - k >= 2) {
          for (let q = k; q < j; q++) ex.runOf[list[q]] = starts.length;
          starts.push(list[k]); lens.push(j - k); pos.push(k);
        }
        k = j;
      }
    }
    ex.runFirst = Uint32Array.from(starts); ex.runLen = Uint32Array.from(lens); ex.runPos = Uint32Array.from(pos);
    ex.open = new Uint8Array(starts.length);
  }
  // Display rows: the base (collapsed) rows, with the rows each expanded run needs inserted
  // after its own (runs of one row share the inserted rows).
  function layRows(ex) {
    const R = ex.baseR, extra = new Uint32Array(R + 1);
    let opened = 0;
    for (let r = 0; r < ex.runFirst.length; r++) {
      if (!ex.open[r]) continue;
      opened++;
      const row = ex.baseRow[ex.runFirst[r]];
      extra[row] = Math.max(extra[row], ex.runLen[r] - 1);
    }
    ex.opened = opened;
    if (!opened) { ex.row = ex.baseRow; ex.R = R; return; }
    // shift[r]: the rows inserted above base row r.
    const shift = new Uint32Array(R + 1);
    for (let r = 1; r <= R; r++) shift[r] = shift[r - 1] + extra[r - 1];
    const row = new Uint32Array(ex.N);
    for (let i = 0; i < ex.N; i++) row[i] = ex.baseRow[i] + shift[ex.baseRow[i]];
    for (let r = 0; r < ex.runFirst.length; r++) {
      if (!ex.open[r]) continue;
      const list = ex.byNode[ex.node[ex.runFirst[r]]], at = ex.runPos[r];
      for (let q = 0; q < ex.runLen[r]; q++) row[list[at + q]] += q;
    }
    ex.row = row; ex.R = R + shift[R];
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
    if (!ex.sendOf) {
      ex.sendOf = new Int32Array(ex.N).fill(-1);
      for (let m = 0; m < ex.messages.length; m += 2) ex.sendOf[ex.messages[m + 1]] = ex.messages[m];
      ex.previous = new Int32Array(ex.N).fill(-1);
      for (const list of ex.byNode) for (let k = 1; k < list.length; k++) ex.previous[list[k]] = list[k - 1];
    }
    if (!ex.byRow) {
      // By row; within a row a node's events (a collapsed run) in their order.
      const all = new Uint32Array(ex.N);
      let k = 0;
      for (const list of ex.byNode) { all.set(list, k); k += list.length; }
      ex.byRow = countingSort(ex.N, (i) => ex.row[i], ex.R, all);
    }
    const nf = ex.node[from], tf = own(ex, from), W = ex.W;
    // Messages on the fewest-message chain from `from` to each event, -1 where there is none.
    const hops = new Int32Array(ex.N).fill(-1);
    hops[from] = 0;
    const hopsOf = (e) => e >= 0 ? hops[e] : -1;
    for (let k = lowerBound(ex.byRow, ex, ex.row[from]); k < ex.N && ex.row[ex.byRow[k]] <= ex.row[to]; k++) {
      const e = ex.byRow[k];
      // (Events of the row before `from` in its collapsed run have it in their future.)
      if (e === from || ex.clock[e * W + nf] < tf) continue; // `from` is not in its past
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
    panX: 0, panY: 0, zoom: 1, columns: [], order: [], sort: "name", moving: null,
    cmp: -1, diff: null, other: null, colPx: COLUMN,
  };

  function setColumns() {
    const ex = state.ex;
    state.columns = [];
    state.columnOf = new Int32Array(ex.W).fill(-1);
    state.miniImage = null; state.density = null;
    for (const n of state.order) {
      if (!state.hidden.has(n)) { state.columnOf[n] = state.columns.length; state.columns.push(n); }
    }
  }
  // The order of the timelines: "name" (natural: node2 before node10; the default, so a
  // 30-node run reads node0 ... node29 and two executions line up by name), "log" (as the
  // data lists the nodes: their first appearance in the log), "first" (by the log line of a node's first event), "count" (most events
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
    } else if (how !== "log") { how = "name"; all.sort(name); }
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

  // The selected event's causal past, future and concurrent events. With clocks that only
  // grow along each node (`monotone`: any valid log), each node's events are a prefix in
  // the past, then concurrent ones, then a suffix in the future: two binary searches per
  // node (`k1`: the end of the past, `k2`: the start of the future), no pass over the
  // events. Otherwise every event is tested (`array`).
  let classVersion = 0;
  function classify() {
    const ex = state.ex, e = state.selected;
    if (e < 0) { state.classes = null; return; }
    const N = ex.N, W = ex.W, ne = ex.node[e], te = ex.clock[e * W + ne], base = e * W, clock = ex.clock;
    let past = 0, future = 0;
    if (ex.monotone) {
      const k1 = new Int32Array(W), k2 = new Int32Array(W), mine = ownOf(ex);
      for (let n = 0; n < W; n++) {
        const list = ex.byNode[n], known = clock[base + n];
        let lo = 0, hi = list.length;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (mine[list[mid]] <= known) lo = mid + 1; else hi = mid; }
        k1[n] = lo;
        hi = list.length;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (clock[list[mid] * W + ne] < te) lo = mid + 1; else hi = mid; }
        k2[n] = lo;
        past += k1[n]; future += list.length - lo;
      }
      state.classes = { e, k1, k2, pos: positions(ex), version: ++classVersion };
    } else {
      const cls = new Uint8Array(N), node = ex.node, mine = ownOf(ex);
      for (let i = 0; i < N; i++) {
        if (mine[i] <= clock[base + node[i]]) { cls[i] = PAST; past++; }
        else if (te <= clock[i * W + ne]) { cls[i] = FUTURE; future++; }
        else cls[i] = CONCURRENT;
      }
      cls[e] = SELECTED;
      state.classes = { e, array: cls, version: ++classVersion };
    }
    // (The selected event counted itself as past.)
    state.classCounts = [0, past - 1, future, N - past - future, 1];
    state.miniImage = null;
  }
  // The class of event i relative to the selection (PLAIN without one).
  function classOf(i) {
    const c = state.classes;
    if (!c) return PLAIN;
    if (c.array) return c.array[i];
    if (i === c.e) return SELECTED;
    const n = state.ex.node[i], p = c.pos[i];
    return p < c.k1[n] ? PAST : p >= c.k2[n] ? FUTURE : CONCURRENT;
  }
  // Per shown column, the first row past the selection's past and the first row of its
  // future (Infinity when none), for shading densities by class (null: test every event).
  function cutRows() {
    const c = state.classes, ex = state.ex;
    if (!c || c.array) return null;
    const C = state.columns.length, pe = new Float64Array(C), fs = new Float64Array(C);
    for (let k = 0; k < C; k++) {
      const n = state.columns[k], list = ex.byNode[n];
      pe[k] = c.k1[n] < list.length ? ex.row[list[c.k1[n]]] : Infinity;
      fs[k] = c.k2[n] < list.length ? ex.row[list[c.k2[n]]] : Infinity;
    }
    return { pe, fs };
  }
  // Per event, its position in its node's list.
  function positions(ex) {
    if (!ex.posOf) {
      ex.posOf = new Uint32Array(ex.N);
      for (const list of ex.byNode) for (let k = 0; k < list.length; k++) ex.posOf[list[k]] = k;
    }
    return ex.posOf;
  }
  // Every event's own entry, in one array (classifying reads it for every event).
  function ownOf(ex) {
    if (!ex.own) {
      ex.own = new (ex.clock.BYTES_PER_ELEMENT === 2 ? Uint16Array : Uint32Array)(ex.N);
      for (let i = 0; i < ex.N; i++) ex.own[i] = ex.clock[i * ex.W + ex.node[i]];
    }
    return ex.own;
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
    state.paneX = w + 2;
    ctx.save(); ctx.translate(w + 2, 0); ctx.beginPath(); ctx.rect(0, 0, cw - w - 2, h); ctx.clip(); drawPane(); ctx.restore();
    state.paneX = 0;
    swapPane();
    ctx.fillStyle = "#555"; ctx.fillRect(w, 0, 2, h);
  }
  // Above this many events (or messages) in view, the pane shows densities instead of
  // every dot and line: a canvas stroke per item costs more than a frame there.
  const DETAIL = 1500;
  function drawPane() {
    const ex = state.ex, { w, h } = size();
    const rp = rowPx();
    const r0 = Math.max(0, Math.floor((state.panY - 20 - 10) / rp));
    const r1 = Math.ceil((state.panY + h) / rp) + 1;
    const c0 = Math.max(0, Math.floor((state.panX - MARGIN) / col()) - 1);
    const c1 = Math.min(state.columns.length - 1, Math.ceil((state.panX + w) / col()));
    // How much the view holds: the share of rows and of timelines in view, times the totals.
    const rowShare = Math.min(1, (Math.min(r1, ex.R) - r0) / Math.max(1, ex.R));
    const colShare = state.columns.length ? (c1 - c0 + 1) / ex.W : 0;
    const dense = rowShare * colShare * Math.max(ex.N, ex.messages.length >> 1) > DETAIL;
    state.dense = dense;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    if (dense) drawDensity(w, h, c0, c1);
    // Timelines.
    ctx.strokeStyle = dense ? "#bbb" : "#999"; ctx.lineWidth = 1; ctx.beginPath();
    for (let c = c0; c <= c1; c++) {
      const x = Math.round(xOf(c)) + 0.5;
      ctx.moveTo(x, Math.max(HEADER, yOf(0) - 10)); ctx.lineTo(x, Math.min(h, yOf(ex.R)));
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
    const radius = Math.max(1.5, Math.min(6, rp * 0.3));
    state.drawnMessages = 0;
    if (!dense) drawDetail(w, h, r0, r1, c0, c1, rp, radius);
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
      const x = xOf(state.columnOf[ex.node[e]]), y = yOf(ex.row[e]);
      if (dense) { ctx.fillStyle = COLOURS[SELECTED]; ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI); ctx.fill(); }
      ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.beginPath();
      ctx.arc(x, y, radius + 4, 0, 2 * Math.PI);
      ctx.stroke(); ctx.lineWidth = 1;
    }
    // Node names on top, over everything.
    ctx.fillStyle = "#f4f4f4"; ctx.fillRect(0, 0, w, HEADER);
    ctx.strokeStyle = "#bbb"; ctx.beginPath(); ctx.moveTo(0, HEADER + 0.5); ctx.lineTo(w, HEADER + 0.5); ctx.stroke();
    // Narrow timelines take their names on two staggered lines (each name then has two
    // columns' width).
    const stagger = col() < 64;
    ctx.fillStyle = "#111"; ctx.font = (stagger ? "bold 11px" : "bold 12px") + " system-ui, sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    for (let c = c0; c <= c1; c++) {
      if (state.moving && state.moving.from === c) continue;
      const only = state.diff && state.diff.only.has(state.columns[c]);
      ctx.fillStyle = only ? DIFF : "#111";
      const y = stagger ? (c % 2 ? HEADER * 0.72 : HEADER * 0.3) : HEADER / 2;
      ctx.fillText((only ? "\u25c6 " : "") + ex.nodes[state.columns[c]], xOf(c), y, (stagger ? 2 : 1) * col() - 6);
    }
    ctx.fillStyle = "#111";
    if (state.cmp >= 0) {
      // Which execution this pane shows: a tab under the names, on a white ground so no
      // ring or dot shows through it.
      ctx.font = "bold 11px system-ui, sans-serif";
      const label = ex.name || "(unnamed)", tw = Math.min(w / 2, ctx.measureText(label).width + 12);
      ctx.fillStyle = "#fff"; ctx.fillRect(w - tw - 6, HEADER + 1, tw, 18);
      ctx.strokeStyle = "#888"; ctx.strokeRect(w - tw - 5.5, HEADER + 0.5, tw - 1, 18);
      ctx.fillStyle = "#333"; ctx.textAlign = "end";
      ctx.fillText(label, w - 12, HEADER + 10, tw - 12);
    }
    if (state.moving) {
      // The dragged name under the pointer, and where it would land.
      const to = Math.round((state.moving.x + state.panX - MARGIN) / col());
      ctx.fillStyle = PATH; ctx.fillRect(Math.round(xOf(to)) - 1, 0, 3, HEADER);
      ctx.fillStyle = "#fff"; ctx.fillRect(state.moving.x - col() / 2 + 4, 4, col() - 8, HEADER - 8);
      ctx.strokeStyle = "#333"; ctx.strokeRect(state.moving.x - col() / 2 + 4.5, 4.5, col() - 9, HEADER - 9);
      ctx.textAlign = "center";
      ctx.fillStyle = "#111"; ctx.fillText(ex.nodes[state.columns[state.moving.from]], state.moving.x, HEADER / 2, col() - 12);
    }
    ctx.textAlign = "start";
  }

  // The messages whose rows overlap rows r0..r1, in send-row order (in chunks of 256 by send
  // row; a chunk that ends above r0 is skipped, the walk ends at the first send below r1):
  // visit(m, send, receive, send row, receive row) for each. A visit that returns false
  // stops the walk, which then returns false.
  function eachMessageInRows(ex, r0, r1, visit) {
    const M = ex.msgOrder.length;
    for (let chunk = 0; chunk * 256 < M; chunk++) {
      if (ex.chunkMax[chunk] < r0) continue;
      const end = Math.min(M, chunk * 256 + 256);
      for (let k = chunk * 256; k < end; k++) {
        const m = ex.msgOrder[k], s = ex.messages[2 * m], r = ex.messages[2 * m + 1];
        const rs = ex.row[s], rr = ex.row[r];
        if (rs > r1) return true;
        if (rr < r0) continue;
        if (visit(m, s, r, rs, rr) === false) return false;
      }
    }
    return true;
  }

  // Every message and dot in view (few enough to draw one by one).
  function drawDetail(w, h, r0, r1, c0, c1, rp, radius) {
    const ex = state.ex;
    // Messages: chunks by send row; a chunk is skipped when it ends above the viewport.
    ctx.strokeStyle = "rgba(60,60,60,0.55)"; ctx.beginPath();
    const heads = [];
    eachMessageInRows(ex, r0, r1, (m, s, r, rs, rr) => {
      const cs = state.columnOf[ex.node[s]], cr = state.columnOf[ex.node[r]];
      if (cs < 0 && cr < 0) return;
      if ((cs < c0 - 1 || cs > c1 + 1) && (cr < c0 - 1 || cr > c1 + 1) && cs >= 0 && cr >= 0 &&
          (cs - c0) * (cr - c0) > 0) return;
      const ys = yOf(rs), yr = yOf(rr);
      if (cs >= 0 && cr >= 0) {
        ctx.moveTo(xOf(cs), ys); ctx.lineTo(xOf(cr), yr);
        if (cr >= c0 && cr <= c1 && rr <= r1) heads.push(m);
      } else if (cs >= 0) { // receiver hidden: a stub
        ctx.moveTo(xOf(cs), ys); ctx.lineTo(xOf(cs) + 18, ys + Math.min(18, yr - ys));
      } else {
        ctx.moveTo(xOf(cr) - 18, yr - Math.min(18, yr - ys)); ctx.lineTo(xOf(cr), yr);
      }
      state.drawnMessages++;
    });
    ctx.stroke();
    // Arrow heads only when zoomed in enough to see them.
    if (rp >= 8 && heads.length < 5000) drawHeads(heads);
    // Events, one path per colour; at most one dot per pixel row of a timeline. A collapsed
    // run is one bigger dot with its count; its top and bottom halves take the colours of
    // its first and last events (a run can start in the causal past and end concurrent).
    const paths = [new Path2D(), new Path2D(), new Path2D(), new Path2D(), new Path2D()];
    const halves = [new Path2D(), new Path2D(), new Path2D(), new Path2D(), new Path2D()];
    const rings = new Path2D(), diamonds = new Path2D(), runRings = new Path2D();
    const labels = rp >= 16, diff = state.diff && state.diff.flags, counts = [];
    const visible = [], big = Math.max(radius + 2.5, Math.min(11, rp * 0.45));
    const flaggedIn = (flags, i, n) => { const list = ex.byNode[ex.node[i]], at = ex.runPos[ex.runOf[i]]; for (let q = 0; q < n; q++) if (flags[list[at + q]]) return true; return false; };
    for (let c = c0; c <= c1; c++) {
      const list = ex.byNode[state.columns[c]], x = xOf(c);
      let lastPixel = -1e9;
      for (let k = lowerBound(list, ex, r0); k < list.length; k++) {
        const i = list[k], row = ex.row[i];
        if (row > r1) break;
        const y = yOf(row);
        const run = ex.runOf[i], closed = run >= 0 && !ex.open[run];
        const n = closed ? ex.runLen[run] : 1;
        const cls = classOf(i);
        const flagged = state.matchFlags && (closed ? flaggedIn(state.matchFlags, i, n) : state.matchFlags[i]);
        const differs = diff && (closed ? flaggedIn(diff, i, n) : diff[i]);
        if (closed) k += n - 1;
        if (y - lastPixel < 1 && cls !== SELECTED && !flagged && !differs) continue;
        lastPixel = y;
        const rad = closed ? big : radius;
        if (differs) {
          // An event whose text the other execution's node lacks: a diamond (ShiViz's mark).
          const d = rad + 3;
          diamonds.moveTo(x, y - d); diamonds.lineTo(x + d, y); diamonds.lineTo(x, y + d); diamonds.lineTo(x - d, y); diamonds.closePath();
          if (labels) visible.push(i, x, y, n);
          continue;
        }
        if (closed) {
          const last = classOf(list[k]);
          paths[cls].moveTo(x + rad, y); paths[cls].arc(x, y, rad, 0, Math.PI, true);
          halves[last].moveTo(x - rad, y); halves[last].arc(x, y, rad, Math.PI, 2 * Math.PI, true);
          runRings.moveTo(x + rad, y); runRings.arc(x, y, rad, 0, 2 * Math.PI);
          if (rad >= 6) counts.push(n, x, y);
        } else {
          paths[cls].moveTo(x + rad, y); paths[cls].arc(x, y, rad, 0, 2 * Math.PI);
        }
        if (flagged) { rings.moveTo(x + rad + 3, y); rings.arc(x, y, rad + 3, 0, 2 * Math.PI); }
        if (labels) visible.push(i, x, y, n);
      }
    }
    for (let cls = 0; cls < 5; cls++) { ctx.fillStyle = COLOURS[cls]; ctx.fill(paths[cls]); ctx.fill(halves[cls]); }
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5; ctx.stroke(runRings);
    ctx.strokeStyle = MATCH; ctx.lineWidth = 2.5; ctx.stroke(rings); ctx.lineWidth = 1;
    ctx.fillStyle = DIFF; ctx.fill(diamonds); ctx.strokeStyle = "#000"; ctx.stroke(diamonds);
    if (counts.length) {
      // The count of a collapsed run, white on its dot (dark halo for the light colours).
      ctx.font = "bold 10px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.lineWidth = 2.5; ctx.strokeStyle = "rgba(0,0,0,0.55)"; ctx.fillStyle = "#fff";
      for (let k = 0; k < counts.length; k += 3) {
        const t = counts[k] > 999 ? "1k+" : String(counts[k]);
        ctx.strokeText(t, counts[k + 1], counts[k + 2] + 0.5); ctx.fillText(t, counts[k + 1], counts[k + 2] + 0.5);
      }
      ctx.textAlign = "start"; ctx.lineWidth = 1;
    }
    if (labels && col() - radius - 10 >= 36) {
      ctx.fillStyle = "#222"; ctx.font = "11px system-ui, sans-serif"; ctx.textBaseline = "middle";
      // The first divergence's rings reach into the column on their left: labels on that
      // row there stop short of them.
      const d = state.diff && state.diff.first >= 0 ? state.diff.first : -1;
      const ringColumn = d >= 0 ? state.columnOf[ex.node[d]] : -2, ringRow = d >= 0 ? ex.row[d] : -1;
      const charPx = ctx.measureText("abcdefghijklmnopqrstuvwxyz").width / 26;
      for (let k = 0; k < visible.length; k += 4) {
        // Past whatever rings the dot wears (selection, first divergence), not over them.
        const e = visible[k], first = d === e;
        const gap = (visible[k + 3] > 1 ? big : radius) + (first ? 17 : e === state.selected || e === state.second ? 8 : 4);
        let room = col() - gap - 6;
        if (ex.row[e] === ringRow && state.columnOf[ex.node[e]] === ringColumn - 1) room -= radius + 14;
        // Cut to the room there is (an ellipsis), never squeezed.
        let t = textOf(ex, e);
        const fits = Math.max(0, Math.floor(room / charPx));
        if (fits < 4) continue;
        if (t.length > Math.min(fits, 24)) t = t.slice(0, Math.min(fits, 24) - 1) + "\u2026";
        ctx.fillText(t, visible[k + 1] + gap, visible[k + 2], room);
      }
    }
  }
  function drawHeads(heads) {
    const ex = state.ex;
    ctx.fillStyle = "rgba(60,60,60,0.8)"; ctx.beginPath();
    for (const m of heads) {
      const s = ex.messages[2 * m], r = ex.messages[2 * m + 1];
      const cs = state.columnOf[ex.node[s]], cr = state.columnOf[ex.node[r]];
      const x2 = xOf(cr), y2 = yOf(ex.row[r]), dx = x2 - xOf(cs), dy = y2 - yOf(ex.row[s]);
      const len = Math.hypot(dx, dy) || 1, ux = dx / len, uy = dy / len;
      const bx = x2 - ux * 7, by = y2 - uy * 7;
      ctx.moveTo(bx - ux * 7 - uy * 4, by - uy * 7 + ux * 4);
      ctx.lineTo(bx, by); ctx.lineTo(bx - ux * 7 + uy * 4, by - uy * 7 - ux * 4); ctx.closePath();
    }
    ctx.fill();
  }

  // ----- density: when the view holds too much to draw item by item, each timeline is a
  // band shaded by how many events each pixel row holds (coloured as the dots would be),
  // and the space between neighbour timelines is shaded by how many messages cross it
  // there. Counts come from a pyramid (rows in bins of 1, 2, 4, ... rows) built once per
  // layout, so a frame costs the pixels, not the events. -----
  const KINDS = 4; // per bin and column: past, future, concurrent, marked (match or difference)
  function pyramid(base, bins, width) {
    const levels = [base];
    let n = bins;
    while (n > 1) {
      const prev = levels[levels.length - 1], m = Math.ceil(n / 2), next = new Uint32Array(m * width);
      for (let b = 0; b < n; b++) {
        const o = (b >> 1) * width, p = b * width;
        for (let c = 0; c < width; c++) next[o + c] += prev[p + c];
      }
      levels.push(next); n = m;
    }
    return levels;
  }
  let densityVersion = 0;
  function densityData() {
    const ex = state.ex, C = state.columns.length, G = Math.max(1, C - 1), R = Math.max(1, ex.R);
    let d = state.density;
    if (!d || d.ex !== ex || d.rows !== ex.row) {
      const counts = new Uint32Array(R * C), cross = new Uint32Array(R * G);
      const columnOf = state.columnOf, node = ex.node, row = ex.row, msg = ex.messages;
      for (let i = 0; i < ex.N; i++) {
        const c = columnOf[node[i]];
        if (c >= 0) counts[row[i] * C + c]++;
      }
      // A message crosses the gap between columns g and g+1 at the row where its line
      // meets the gap's middle.
      for (let m = 0; m < msg.length; m += 2) {
        const s = msg[m], r = msg[m + 1], cs = columnOf[node[s]], cr = columnOf[node[r]];
        if (cs < 0 || cr < 0 || cs === cr) continue;
        const rs = row[s], slope = (row[r] - rs) / (cr - cs);
        const lo = cs < cr ? cs : cr, hi = cs < cr ? cr : cs;
        for (let g = lo; g < hi; g++) {
          let at = Math.round(rs + slope * (g + 0.5 - cs));
          if (at >= R) at = R - 1;
          cross[at * G + g]++;
        }
      }
      // The typical load of a bin: the mean over bins that hold anything.
      const typical = (a) => { let sum = 0, n = 0; for (let k = 0; k < a.length; k++) if (a[k]) { sum += a[k]; n++; } return n ? sum / n : 1; };
      d = state.density = { ex, rows: ex.row, C, G, R, counts: pyramid(counts, R, C), cross: pyramid(cross, R, G), kindsKey: null, kindLevels: [], version: ++densityVersion };
      d.typical = d.counts.map(typical); d.typicalCross = d.cross.map(typical);
    }
    const key = [state.classes && state.classes.array, state.matchFlags, state.diff && state.diff.flags];
    if (!key[0] && !key[1] && !key[2]) {
      if (d.kindsKey) { d.kindsKey = null; d.version = ++densityVersion; }
    } else if (!d.kindsKey || d.kindsKey.some((k, j) => k !== key[j])) {
      d.kindsKey = key; d.kindLevels = []; d.version = ++densityVersion;
    }
    return d;
  }
  // Per bin of level L (2^L rows) and column, how many events are past, future, concurrent
  // and marked (null without a selection, search or comparison): built from the events for
  // each level the first time it is drawn, so a selection costs one pass per level shown.
  function kindsAt(d, L) {
    if (!d.kindsKey) return null;
    if (d.kindLevels[L]) return d.kindLevels[L];
    const ex = d.ex, C = d.C, [cls, mark, diff] = d.kindsKey;
    const kinds = new Uint32Array(Math.ceil(d.R / 2 ** L) * C * KINDS);
    const columnOf = state.columnOf, node = ex.node, row = ex.row;
    for (let i = 0; i < ex.N; i++) {
      const c = columnOf[node[i]];
      if (c < 0) continue;
      const o = ((row[i] >> L) * C + c) * KINDS;
      if (cls) { const k = cls[i]; if (k === PAST) kinds[o]++; else if (k === FUTURE) kinds[o + 1]++; else if (k === CONCURRENT) kinds[o + 2]++; }
      if ((mark && mark[i]) || (diff && diff[i])) kinds[o + 3]++;
    }
    d.kindLevels[L] = kinds;
    return kinds;
  }
  const RGB = (c) => {
    const v = parseInt(c.replace("#", "").replace(/^(.)(.)(.)$/, "$1$1$2$2$3$3"), 16);
    return [v >> 16, (v >> 8) & 255, v & 255];
  };
  const pack = (r, g, b) => ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0; // RGBA, little-endian
  const tint = (rgb, a) => pack(255 - a * (255 - rgb[0]) | 0, 255 - a * (255 - rgb[1]) | 0, 255 - a * (255 - rgb[2]) | 0);
  // The colour of a cell of events (shade `a`) by the classes of its events: with `cut`
  // (per column, the rows where the selection's past ends and its future starts), the class
  // at the cell's middle row `mid`; else the most common of past, future and concurrent in
  // `kinds` (at offset o); plain without a selection.
  function cellColour(kinds, o, a, plain, rgbs, cut, c, mid) {
    if (cut) return tint(mid < cut.pe[c] ? rgbs[0] : mid >= cut.fs[c] ? rgbs[1] : rgbs[2], a);
    if (!kinds) return tint(plain, a);
    const p = kinds[o], f = kinds[o + 1], q = kinds[o + 2];
    if (p + f + q === 0) return tint(plain, a);
    return tint(p >= f && p >= q ? rgbs[0] : f >= q ? rgbs[1] : rgbs[2], a);
  }
  function drawDensity(w, h, c0, c1) {
    const ex = state.ex, d = densityData(), C = d.C, G = d.G, rp = rowPx();
    const top = HEADER + 1, H = h - top;
    if (!C || H <= 0 || w <= 0) return;
    // The same view of the same data draws the same pixels.
    const key = [d.version, state.classes ? state.classes.version : 0, w, H, state.panX, state.panY, state.zoom, state.colPx, c0, c1].join();
    if (d.image && d.imageKey === key) { ctx.putImageData(d.image, state.paneX || 0, top); return; }
    const per = 1 / rp; // rows per pixel row
    if (!d.image || d.image.width !== w || d.image.height !== H) d.image = ctx.createImageData(w, H);
    if (per <= 2 && drawFine(d, w, H, top, c0, c1)) {
      d.imageKey = key;
      ctx.putImageData(d.image, state.paneX || 0, top);
      return;
    }
    const L = Math.max(0, Math.min(d.counts.length - 1, Math.floor(Math.log2(Math.max(1, per)))));
    const bin = 2 ** L, counts = d.counts[L], cross = d.cross[L], kinds = kindsAt(d, L);
    const bins = counts.length / C;
    // Shades grow with the load of a pixel row against the typical one (a typical cell is
    // mid-grey, three times that is the darkest), so bursts and lulls stand out rather than
    // every busy cell going black.
    const load = Math.max(1, per / bin), typical = d.typical[L] * load, typicalCross = d.typicalCross[L] * load;
    const shade = (v) => 0.14 + 0.76 * Math.pow(Math.min(1, v / (3 * typical)), 0.75);
    const crossShade = (v) => 0.03 + 0.47 * Math.pow(Math.min(1, v / (3 * typicalCross)), 0.75);
    const image = d.image, px = new Uint32Array(image.data.buffer);
    px.fill(0xffffffff);
    const plain = RGB(COLOURS[PLAIN]), rgbs = [RGB(COLOURS[PAST]), RGB(COLOURS[FUTURE]), RGB(COLOURS[CONCURRENT])];
    const mark = RGB(state.matchFlags ? MATCH : DIFF), markPx = pack(mark[0], mark[1], mark[2]), grey = [80, 80, 80];
    const half = Math.max(2, Math.min(7, Math.round(col() * 0.17)));
    const xs = new Int32Array(C + 1);
    const g0 = Math.max(0, c0 - 1), g1 = Math.min(G - 1, c1);
    for (let c = g0; c <= Math.min(C - 1, c1 + 1); c++) xs[c] = Math.round(xOf(c));
    const kd = new Float64Array(KINDS), cut = cutRows();
    let lastSig = "";
    for (let y = 0; y < H; y++) {
      // The rows this pixel row covers, and the bins (weighted by overlap) that hold them.
      const ra = (y + top + state.panY - HEADER - 20) / rp, rb = ra + per;
      if (rb <= 0 || ra >= ex.R) { lastSig = ""; continue; }
      const b0 = Math.max(0, Math.floor(ra / bin)), b1 = Math.min(bins - 1, Math.floor((rb - 1e-9) / bin));
      const line = y * w;
      // Pixel rows inside one bin repeat the row above.
      const sig = per < bin && b0 === b1 ? "b" + b0 : "";
      if (sig && sig === lastSig) { px.copyWithin(line, line - w, line); continue; }
      lastSig = sig;
      const wt = (b) => per < bin ? 1 : (Math.min(rb, (b + 1) * bin) - Math.max(ra, b * bin)) / bin;
      for (let g = g0; g <= g1; g++) {
        let v = 0;
        for (let b = b0; b <= b1; b++) v += wt(b) * cross[b * G + g];
        if (v <= 0) continue;
        const xa = Math.max(0, xs[g] + half + 2), xb = Math.min(w, xs[g + 1] - half - 1);
        if (xb > xa) px.fill(tint(grey, crossShade(v)), line + xa, line + xb);
      }
      for (let c = c0; c <= c1; c++) {
        let v = 0;
        for (let b = b0; b <= b1; b++) v += wt(b) * counts[b * C + c];
        if (v <= 0) continue;
        if (kinds) {
          kd.fill(0);
          for (let b = b0; b <= b1; b++) { const o = (b * C + c) * KINDS, q = wt(b); for (let k = 0; k < KINDS; k++) kd[k] += q * kinds[o + k]; }
        }
        const a = shade(v);
        const xa = Math.max(0, xs[c] - half), xb = Math.min(w, xs[c] + half + 1);
        if (xb > xa) px.fill(cellColour(kinds ? kd : null, 0, a, plain, rgbs, cut, c, (ra + rb) / 2), line + xa, line + xb);
        if (kinds && kd[3] > 0) {
          // Matches (or differences): a strip beside the band.
          const ma = Math.max(0, xs[c] + half + 1), mb = Math.min(w, xs[c] + half + 4);
          if (mb > ma) px.fill(markPx, line + ma, line + mb);
        }
      }
    }
    d.imageKey = key;
    ctx.putImageData(image, state.paneX || 0, top);
  }

  // Rows of half a pixel or more, but too many items to stroke: every message as a line and
  // every event as a mark, written straight into the pixels (lines darken where they
  // cross). False (and nothing drawn) when the lines would cost more than a frame.
  const FINE_PIXELS = 1.2e6, FINE_EVENTS = 30000;
  function drawFine(d, w, H, top, c0, c1) {
    const ex = state.ex, rp = rowPx();
    const r0 = Math.max(0, Math.floor((state.panY - 20) / rp) - 1), r1 = Math.ceil((state.panY + H + top) / rp) + 1;
    const share = (Math.min(r1, ex.R) - r0) / Math.max(1, ex.R) * (c1 - c0 + 1) / ex.W;
    if (share * ex.N > FINE_EVENTS) return false;
    // The visible messages (both ends shown, crossing the pane) and their length in pixels.
    const lines = [];
    let length = 0;
    const fits = eachMessageInRows(ex, r0, r1, (m, s, r, rs, rr) => {
      const cs = state.columnOf[ex.node[s]], cr = state.columnOf[ex.node[r]];
      if (cs < 0 || cr < 0 || (cs < c0 && cr < c0) || (cs > c1 && cr > c1)) return true;
      // The part inside the pane (a line to a timeline off to the side is cut there).
      let x0 = xOf(cs), y0 = yOf(rs) - top, x1 = xOf(cr), y1 = yOf(rr) - top, t0 = 0, t1 = 1;
      const dx = x1 - x0, dy = y1 - y0;
      for (const [p, q] of [[-dx, x0], [dx, w - 1 - x0], [-dy, y0], [dy, H - 1 - y0]]) {
        if (p === 0) { if (q < 0) t1 = -1; continue; }
        const t = q / p;
        if (p < 0) t0 = Math.max(t0, t); else t1 = Math.min(t1, t);
      }
      if (t0 > t1) return true;
      x1 = x0 + dx * t1; y1 = y0 + dy * t1; x0 += dx * t0; y0 += dy * t0;
      length += Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
      if (length > FINE_PIXELS) return false;
      lines.push(x0, y0, x1, y1);
      return true;
    });
    if (!fits) return false;
    const px = new Uint32Array(d.image.data.buffer), n = w * H;
    if (!d.ink || d.ink.length !== n) d.ink = new Uint8Array(n);
    const ink = d.ink;
    ink.fill(0);
    for (let k = 0; k < lines.length; k += 4) {
      const dx = lines[k + 2] - lines[k], dy = lines[k + 3] - lines[k + 1];
      const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
      const sx = dx / steps, sy = dy / steps;
      // (Offset by half a pixel so truncation rounds; off-pane points are skipped.)
      let x = lines[k] + 0.5, y = lines[k + 1] + 0.5;
      for (let t = 0; t <= steps; t++, x += sx, y += sy) {
        if (x < 0 || x >= w || y < 0 || y >= H) continue;
        const p = (y | 0) * w + (x | 0), v = ink[p] + 70;
        ink[p] = v > 255 ? 255 : v;
      }
    }
    const shade = new Uint32Array(256), grey = [60, 60, 60];
    for (let v = 0; v < 256; v++) shade[v] = tint(grey, Math.min(0.85, v / 255));
    for (let p = 0; p < n; p++) px[p] = shade[ink[p]];
    // Events: a mark each, coloured by class; matches and differences in their colour.
    const colours = COLOURS.map((c) => { const v = RGB(c); return pack(v[0], v[1], v[2]); });
    const mark = RGB(state.matchFlags ? MATCH : DIFF), markPx = pack(mark[0], mark[1], mark[2]);
    const flags = state.matchFlags || (state.diff && state.diff.flags), tall = Math.max(1, Math.min(4, Math.round(rp * 0.7)));
    for (let c = c0; c <= c1; c++) {
      const list = ex.byNode[state.columns[c]], x = Math.round(xOf(c));
      for (let k = lowerBound(list, ex, r0); k < list.length; k++) {
        const i = list[k], row = ex.row[i];
        if (row > r1) break;
        const y = Math.round(yOf(row) - top - tall / 2);
        const v = flags && flags[i] ? markPx : colours[classOf(i)];
        for (let yy = Math.max(0, y); yy < Math.min(H, y + tall); yy++) {
          px.fill(v, yy * w + Math.max(0, x - 2), yy * w + Math.min(w, x + 3));
        }
      }
    }
    return true;
  }

  // ----- minimap: the whole execution (event density per timeline, coloured as the
  // diagram is), with the viewport as a box -----
  function miniImage(mw, mh) {
    const ex = state.ex, C = state.columns.length;
    const key = mw + "x" + mh;
    const d = densityData();
    if (state.miniImage && state.miniKey === key && state.miniVersion === d.version) return state.miniImage;
    const image = mctx.createImageData(mw, mh), px = new Uint32Array(image.data.buffer);
    px.fill(0xffffffff);
    if (!C) { state.miniImage = image; state.miniKey = key; state.miniVersion = d.version; return image; }
    // Per pixel row of the minimap, the rows it covers, from the pyramid level whose bins
    // are at most that tall.
    const scale = miniScale(mh), per = 1 / scale;
    const L = Math.max(0, Math.min(d.counts.length - 1, Math.floor(Math.log2(Math.max(1, per)))));
    const bin = 2 ** L, counts = d.counts[L], kinds = kindsAt(d, L), bins = counts.length / C;
    const tall = Math.max(1, Math.min(3, Math.floor(scale))); // (a short execution: rows of several px)
    const cell = new Float64Array(C), kd = new Float64Array(C * KINDS);
    const values = [];
    for (let y = 0; y < mh; y++) {
      const ra = y * per, rb = ra + per;
      if (ra >= ex.R) break;
      cell.fill(0); if (kinds) kd.fill(0);
      const b0 = Math.floor(ra / bin), b1 = Math.min(bins - 1, Math.floor((rb - 1e-9) / bin));
      for (let b = b0; b <= b1; b++) {
        const wt = per < bin ? 1 : (Math.min(rb, (b + 1) * bin) - Math.max(ra, b * bin)) / bin;
        for (let c = 0; c < C; c++) cell[c] += wt * counts[b * C + c];
        if (kinds) for (let k = 0; k < C * KINDS; k++) kd[k] += wt * kinds[b * C * KINDS + k];
      }
      // (A pixel row covering less than a row only shows the row's start: `tall` of them.)
      if (per < 1 && ra - Math.floor(ra) >= tall * per - 1e-9) continue;
      values.push([y, cell.slice(), kinds ? kd.slice() : null, (ra + rb) / 2]);
    }
    const band = mw / C, plain = RGB(COLOURS[PLAIN]), rgbs = [RGB(COLOURS[PAST]), RGB(COLOURS[FUTURE]), RGB(COLOURS[CONCURRENT])];
    const match = RGB(MATCH), matchPx = pack(match[0], match[1], match[2]);
    const cut = cutRows();
    let sum = 0, cellsWith = 0;
    for (const [, cells] of values) for (let c = 0; c < C; c++) if (cells[c] > 0) { sum += cells[c]; cellsWith++; }
    const typical = cellsWith ? sum / cellsWith : 1;
    for (const [y, cells, kds, mid] of values) {
      for (let c = 0; c < C; c++) {
        const n = cells[c];
        if (n <= 0) continue;
        const x0 = Math.floor(c * band + band * 0.2), x1 = Math.min(mw, Math.max(x0 + 1, Math.floor((c + 1) * band - band * 0.2)));
        const a = 0.25 + 0.7 * Math.pow(Math.min(1, n / (3 * typical)), 0.75);
        // A match shows whatever else is there.
        const v = kds && kds[c * KINDS + 3] > 0 ? matchPx : cellColour(kds, c * KINDS, a, plain, rgbs, cut, c, mid);
        px.fill(v, y * mw + x0, y * mw + x1);
      }
    }
    state.miniImage = image; state.miniKey = key; state.miniVersion = d.version;
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
  // ----- viewport -----
  function clampPan() {
    const { w, h } = size(), ex = state.ex;
    const maxY = Math.max(0, ex.R * rowPx() + 60 - (h - HEADER));
    state.panY = Math.min(Math.max(state.panY, -20), maxY);
    const maxX = Math.max(0, MARGIN + state.columns.length * col() - w + MINI);
    state.panX = Math.min(Math.max(state.panX, 0), maxX);
  }
  // Zooms about the pane's point (x, y): rows by `factor`, and the timelines' spacing with
  // them, between all of them in the pane's width and the full spacing.
  function zoomAt(factor, y, x) {
    if (x === undefined) x = size().w / 2;
    const before = (state.panY + y - HEADER - 20) / rowPx(), column = (x + state.panX - MARGIN) / col();
    state.zoom = Math.min(4, Math.max(1e-5, state.zoom * factor));
    state.panY = before * rowPx() - y + HEADER + 20;
    state.colPx = Math.min(COLUMN, Math.max(Math.min(fitColumns(), state.colPx), state.colPx * factor));
    state.panX = MARGIN + column * col() - x;
    clampPan(); changed();
  }
  // The spacing of timelines that puts every shown one in the pane's width (at least
  // NARROW px: names are then written on two staggered lines).
  const NARROW = 26;
  function fitColumns() {
    const { w } = size(), width = w - (state.cmp >= 0 ? 0 : MINI);
    return Math.min(COLUMN, Math.max(NARROW, (width - MARGIN - 40) / Math.max(1, state.columns.length - 1)));
  }
  // Fits the execution to the pane: every row, and every timeline (as far as NARROW allows).
  function fit() {
    const { h } = size();
    state.colPx = fitColumns();
    state.zoom = Math.min(1, Math.max(1e-5, (h - HEADER - 50) / (Math.max(1, state.ex.R) * ROW)));
    state.panY = 0; state.panX = 0; clampPan(); changed();
    state.fitted = fitKey();
  }
  // (A view still as fit() left it is fitted again when the window changes size.)
  const fitKey = () => [state.zoom, state.panX, state.panY, state.colPx, state.ex.R, state.columns.length].join();
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

  // Expands (or collapses) runs, keeping the row of `anchor` (an event) where it is on the
  // screen. `runs`: run indices, or "all".
  function setRuns(runs, open, anchor) {
    const ex = state.ex, list = runs === "all" ? ex.runFirst.keys() : runs;
    let changes = 0;
    for (const r of list) if (ex.open[r] !== +open) { ex.open[r] = +open; changes++; }
    if (!changes) return false;
    const before = anchor >= 0 ? yOf(ex.row[anchor]) : 0;
    layRows(ex); chunks(ex); ex.byRow = null; state.miniImage = null;
    if (anchor >= 0) { state.panY += yOf(ex.row[anchor]) - before; clampPan(); }
    changed();
    return true;
  }
  // Expands the collapsed run holding event i, if any.
  function reveal(i) {
    const run = state.ex.runOf[i];
    if (run >= 0 && !state.ex.open[run]) setRuns([run], true, i);
  }

  // ----- selection and panel -----
  // (Zoomed out, where runs cannot be seen, the selection leaves them collapsed: expanding
  // one relays the whole execution.)
  function select(i, second) {
    if (!state.dense) reveal(i);
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
    return state.classes ? state.classCounts : [0, 0, 0, 0, 0];
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
    positions(ex);
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
      reveal(id); select(id, false); centre(id); changed(); return;
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
    reveal(i); select(i, false); centre(i); changed();
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
  const PANE = ["ex", "columns", "columnOf", "order", "classes", "classCounts", "matchFlags", "path", "selected", "second", "diff", "density"];
  function swapPane() {
    for (const k of PANE) { const t = state[k]; state[k] = state.other[k]; state.other[k] = t; }
  }
  // (A fitted view is fitted again to the pane's new width when comparing starts or ends.)
  function compare(k) {
    const fitted = state.fitted === fitKey(), was = state.cmp;
    state.cmp = k >= 0 && k !== state.x && k < DATA.executions.length ? k : -1;
    $("compare").value = String(state.cmp);
    if (fitted && (was < 0) !== (state.cmp < 0)) fit();
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
      diff: pick(b, db), density: null,
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
    const hash = address();
    if (hash !== location.hash) history.replaceState(null, "", hash);
  }
  // The address fragment that reopens this view.
  function address() {
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
    } else if (state.sort !== "name") parts.push("sort=" + state.sort);
    if (ex.opened) {
      parts.push("open=" + (ex.opened === ex.runFirst.length ? "all" :
        encodeURIComponent(Array.from(ex.runFirst).filter((_, r) => ex.open[r]).map((e) => encodeURIComponent(idOf(ex, e))).join(","))));
    }
    if (state.query) parts.push("q=" + encodeURIComponent(state.query));
    if (state.cmp >= 0) parts.push("cmp=" + state.cmp);
    parts.push("v=" + Math.round(state.panX) + "," + Math.round(state.panY) + "," + state.zoom.toPrecision(4) +
      (state.colPx !== COLUMN ? "," + state.colPx.toFixed(1) : ""));
    const keep = location.hash.match(/(?:^#|&)(test=[^&]*|click=[^&]*)/g) || [];
    return "#" + parts.concat(keep.map((s) => s.replace(/^[#&]/, ""))).join("&");
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
    const sort = params.sort || "name";
    sortNodes(sort.split(":")[0], sort.startsWith("custom:") ? sort.slice(7).split(",").map(decodeURIComponent) : null);
    if (state.filter) applyFilter(); else { setColumns(); nodeList(); }
    // Runs collapsed, but those the address names (run first events' ids, or "all").
    setRuns("all", false, -1);
    if (params.open === "all") setRuns("all", true, -1);
    else if (params.open) {
      const runs = params.open.split(",").map((id) => findId(ex, decodeURIComponent(id)))
        .filter((e) => e >= 0 && ex.runOf[e] >= 0).map((e) => ex.runOf[e]);
      setRuns(runs, true, -1);
    }
    runButtons();
    fit();
    if (params.v) {
      const [px, py, z, cp] = params.v.split(",").map(Number);
      state.colPx = cp >= NARROW && cp <= COLUMN ? cp : COLUMN;
      if (z > 0) { state.panX = px || 0; state.panY = py || 0; state.zoom = z; clampPan(); }
    }
    const e = params.e ? findId(ex, params.e) : -1;
    if (e >= 0) { reveal(e); select(e, false); if (!params.v) centre(e); }
    const e2 = params.e2 ? findId(ex, params.e2) : -1;
    if (e2 >= 0 && e >= 0) { reveal(e2); select(e2, true); }
    if (e < 0) panel();
    $("search").value = params.q || "";
    search(params.q || "", false);
    compare(params.cmp !== undefined ? Number(params.cmp) : -1);
    if (params.cmp !== undefined && params.divergence !== undefined) showDivergence();
    if (params.fit !== undefined) fit();
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
    const run = i >= 0 ? state.ex.runOf[i] : -1;
    // A collapsed run's dot expands on click; any other dot is selected.
    if (run >= 0 && !state.ex.open[run]) setRuns([run], true, i);
    else if (i >= 0) select(i, ev.shiftKey);
    canvas.focus();
  });
  canvas.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    if (ev.ctrlKey || ev.metaKey) { zoomAt(Math.exp(-ev.deltaY * 0.002), ev.clientY - r.top, ev.clientX - r.left); return; }
    if (ev.shiftKey) state.panX += ev.deltaY; else { state.panY += ev.deltaY; state.panX += ev.deltaX; }
    clampPan(); changed();
  }, { passive: false });
  // A view still fitted to the window (no pan or zoom since) is fitted again on a resize.
  window.addEventListener("resize", () => { if (state.fitted === fitKey()) fit(); else { clampPan(); redraw(); } });
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
      case "c": {
        // The selected event's run: collapse it (or expand it again).
        const run = state.selected >= 0 ? ex.runOf[state.selected] : -1;
        if (run >= 0) setRuns([run], !ex.open[run], ex.runFirst[run]);
        return;
      }
      case "C": setRuns("all", ex.opened < ex.runFirst.length, state.selected); runButtons(); return;
      case "?": $("help").hidden = !$("help").hidden; return;
      case "j": case "k": {
        if (state.selected < 0) return;
        const list = ex.byNode[ex.node[state.selected]];
        const at = list.indexOf(state.selected) + (ev.key === "j" ? 1 : -1);
        if (at >= 0 && at < list.length) { reveal(list[at]); select(list[at], false); centre(list[at]); changed(); }
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
  $("runs").addEventListener("click", () => { const ex = state.ex; setRuns("all", ex.opened < ex.runFirst.length, state.selected); runButtons(); });
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
      for (let i = 0; i < ex.N; i++) if (classOf(i) === cls) out.push(idOf(ex, i));
      return out;
    };
    return {
      executions: DATA.executions.length, execution: state.x, name: ex.name, events: ex.N,
      nodes: ex.W, shownNodes: state.columns.length, messages: ex.messages.length >> 1,
      columns: state.columns.map((n) => ex.nodes[n]), sort: state.sort,
      rows: ex.R, runs: ex.runFirst.length, openRuns: ex.opened,
      // Dots drawn for the whole execution: single events plus closed runs.
      dots: ex.N - Array.from(ex.runLen).reduce((s, n, r) => s + (ex.open[r] ? 0 : n - 1), 0),
      dense: !!state.dense, selected: state.selected >= 0 ? idOf(ex, state.selected) : null,
      second: state.second >= 0 ? idOf(ex, state.second) : null,
      answer: state.second >= 0 ? order(ex, state.selected, state.second) : null,
      path: state.path ? state.path.map((e) => idOf(ex, e)) : null, pathInView: pathInView(),
      counts: { past: c[PAST], future: c[FUTURE], concurrent: c[CONCURRENT] },
      past: ids(PAST), future: ids(FUTURE), concurrent: ids(CONCURRENT),
      panel: $("selection").textContent,
      query: state.query, matches: state.matches ? state.matches.length : null,
      motifs: state.motifs && state.motifs.length <= 1000 ? state.motifs.map((m) => m.map((e) => idOf(ex, e))) : null,
      searchError: state.searchError, errors: errors.slice(), firstPaintMs: state.firstPaint,
      // The top bar's height and its controls' lowest bottom edge (one line: no wrapping).
      bar: { height: $("bar").getBoundingClientRect().height,
        bottom: Math.max(...[...$("bar").querySelectorAll("select, input, button")].map((e) => e.getBoundingClientRect().bottom)) },
      columnPx: state.colPx, address: address(),
      compare: state.cmp < 0 ? null : compareState(),
      viewport: viewport(), minimap: { rect: state.miniRect, width: mini.clientWidth, height: mini.clientHeight },
      // Every execution as the page decodes it (decoding each one).
      all: DATA.executions.map((_, k) => {
        const x = execution(k);
        return { name: x.name, events: x.node.length, nodes: x.nodes };
      }),
    };
  }
  // The run holding event `id`: its first event's id, length and whether it is expanded.
  // (Any event: its row; first, length and open are null outside a run.)
  function runInfo(id) {
    const ex = state.ex, i = findId(ex, id), r = i >= 0 ? ex.runOf[i] : -1;
    if (i < 0) return null;
    return { row: ex.row[i], first: r < 0 ? null : idOf(ex, ex.runFirst[r]), length: r < 0 ? null : ex.runLen[r], open: r < 0 ? null : !!ex.open[r] };
  }
  function runButtons() {
    const ex = state.ex, b = $("runs");
    if (!b) return;
    b.disabled = !ex.runFirst.length;
    b.textContent = ex.runFirst.length && ex.opened === ex.runFirst.length ? "collapse runs (C)" : "expand runs (C)";
    b.title = ex.runFirst.length + " runs of local events drawn as one numbered dot each";
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
  // (`dot`: without first expanding its run, so a collapsed run's dot gets the click.)
  function clickEvent(id, shift, dot) {
    const ex = state.ex, i = findId(ex, id);
    if (i < 0) { errors.push("test: no event " + id); return; }
    if (!dot) reveal(i);
    centre(i); draw();
    const r = canvas.getBoundingClientRect();
    const x = r.left + xOf(state.columnOf[ex.node[i]]), y = r.top + yOf(ex.row[i]);
    canvas.dispatchEvent(new MouseEvent("click", { clientX: x, clientY: y, shiftKey: !!shift, bubbles: true }));
  }
  // For the benchmark (benches/view_page.mjs): `frames` animation frames, each moving the
  // view by `dy` px (a pan) or zooming by `factor` (a zoom) and drawing; per frame the time
  // since the previous frame and the time drawing and rasterising took, in ms.
  function bench(frames, dy, factor) {
    return new Promise((resolve) => {
      const intervals = [], draws = [];
      let last = 0;
      const tick = (now) => {
        if (last) intervals.push(now - last);
        last = now;
        if (factor) zoomAt(factor, size().h / 2); else { state.panY += dy; clampPan(); }
        // (Reading a pixel back makes the canvas run the drawing now, so the time includes
        // rasterising it, which the browser otherwise does after the callback.)
        const t0 = performance.now(); draw(); ctx.getImageData(0, 0, 1, 1); draws.push(performance.now() - t0);
        if (draws.length < frames) requestAnimationFrame(tick); else resolve({ intervals, draws });
      };
      requestAnimationFrame(tick);
    });
  }
  // Milliseconds from a click on event `id` until the frame that shows it has been drawn
  // (the start of the frame after it): classification, drawing and the browser's paint.
  function benchSelect(id) {
    return new Promise((resolve) => {
      requestAnimationFrame(() => {
        // (As a click on it where the view is: no scrolling to it.)
        const i = findId(state.ex, id);
        if (i < 0) { errors.push("bench: no event " + id); resolve(null); return; }
        const t0 = performance.now(); select(i, false); draw();
        const sync = performance.now() - t0;
        requestAnimationFrame(() => requestAnimationFrame(() => resolve({ sync, shown: performance.now() - t0 })));
      });
    });
  }
  const setView = (x, y, zoom) => { state.panX = x; state.panY = y; state.zoom = zoom; clampPan(); draw(); };
  window.causetView = { bench, benchSelect, run: runInfo, view: () => ({ x: state.panX, y: state.panY, zoom: state.zoom, dense: !!state.dense }), fit, setView, timing: () => ({ firstPaintMs: state.firstPaint, firstFrameMs: state.firstFrame }), state: snapshot, select: (id) => clickEvent(id, false), search, show, order: (a, b) => order(state.ex, findId(state.ex, a), findId(state.ex, b)) };

  try {
    const params = readHash();
    show(Number(params.x) || 0, params);
    // Milliseconds from the start of navigation to the end of the first full paint.
    state.firstPaint = performance.now();
    // ... and to the first frame the browser shows after it.
    requestAnimationFrame(() => setTimeout(() => { state.firstFrame = performance.now(); }, 0));
    if (params.click) params.click.split(",").forEach((id, k) => clickEvent(decodeURIComponent(id), k > 0));
    if (params.clickdot) params.clickdot.split(",").forEach((id) => clickEvent(decodeURIComponent(id), false, true));
    if (params.key) for (const key of params.key.split(",")) window.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
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
      const snap = snapshot();
      if (params.run) snap.run = params.run.split(",").map((id) => runInfo(decodeURIComponent(id)));
      $("causet-state").textContent = JSON.stringify(snap);
    }
  } catch (err) {
    errors.push(String(err && err.stack || err));
    $("causet-state").textContent = JSON.stringify({ errors });
    throw err;
  }
})();
