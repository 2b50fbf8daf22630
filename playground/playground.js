// The iamlint playground: iamlint's engine compiled to WebAssembly (crates/iamlint-wasm), called
// through its small C ABI with plain WebAssembly APIs. Everything runs in this page. Text from
// the input and from the engine is only ever set with textContent, never parsed as HTML.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const input = $('input');
  const gutter = $('gutter');
  const formatPicker = $('format');
  const status = $('status');
  const LINE_HEIGHT = 20; // px, as in playground.css
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  let module = null; // the compiled WebAssembly.Module
  let engine = null; // the instance's exports, null after a trap until re-instantiated
  let lastAnswer = null;
  let selectedLine = 0;
  let timer = 0;

  // ---- The engine -------------------------------------------------------------------------

  async function instantiate() {
    // The module needs no host function; any import it declares fails loudly if called.
    const imports = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      imports[imp.module] = imports[imp.module] || {};
      imports[imp.module][imp.name] = () => {
        throw new Error(`iamlint.wasm called the missing import ${imp.module}.${imp.name}`);
      };
    }
    engine = (await WebAssembly.instantiate(module, imports)).exports;
  }

  async function loadEngine() {
    const response = await fetch('iamlint.wasm');
    if (!response.ok) throw new Error(`cannot load iamlint.wasm (HTTP ${response.status})`);
    module = await WebAssembly.compile(await response.arrayBuffer());
    await instantiate();
  }

  // Copies bytes into the engine's memory; returns the pointer.
  function put(bytes) {
    const ptr = engine.iamlint_alloc(bytes.length) >>> 0;
    new Uint8Array(engine.memory.buffer, ptr, bytes.length).set(bytes);
    return ptr;
  }

  // Reads and frees an answer: a 4-byte little-endian length, then that much UTF-8 JSON.
  function take(ptr) {
    ptr >>>= 0;
    const len = new DataView(engine.memory.buffer).getUint32(ptr, true);
    const text = decoder.decode(new Uint8Array(engine.memory.buffer, ptr + 4, len));
    engine.iamlint_free(ptr, len + 4);
    return JSON.parse(text);
  }

  function lint(format, text) {
    const f = encoder.encode(format);
    const t = encoder.encode(text);
    try {
      const fp = put(f);
      const tp = put(t);
      const answer = take(engine.iamlint_lint(fp, f.length, tp, t.length));
      engine.iamlint_free(fp, f.length);
      engine.iamlint_free(tp, t.length);
      return answer;
    } catch (e) {
      // A trap leaves the instance unusable: start a fresh one for the next edit.
      engine = null;
      instantiate().catch(() => {});
      return { internal_error: String(e && e.message ? e.message : e) };
    }
  }

  // ---- The URL fragment: #format=…&z=<base64url of deflate-raw> (or t=<base64url>) ----------

  function toBase64Url(bytes) {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function fromBase64Url(text) {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  async function through(bytes, stream) {
    return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
  }

  async function fragmentOf(text, format) {
    const params = new URLSearchParams();
    if (format !== 'auto') params.set('format', format);
    const bytes = encoder.encode(text);
    if (typeof CompressionStream === 'function') {
      params.set('z', toBase64Url(await through(bytes, new CompressionStream('deflate-raw'))));
    } else {
      params.set('t', toBase64Url(bytes));
    }
    return '#' + params.toString();
  }

  // The text and format a fragment holds, or null.
  async function readFragment(hash) {
    const params = new URLSearchParams(hash.replace(/^#/, ''));
    const format = params.get('format') || 'auto';
    if (params.has('z')) {
      const bytes = await through(fromBase64Url(params.get('z')), new DecompressionStream('deflate-raw'));
      return { text: decoder.decode(bytes), format };
    }
    if (params.has('t')) return { text: decoder.decode(fromBase64Url(params.get('t'))), format };
    return null;
  }

  async function saveFragment() {
    const hash = await fragmentOf(input.value, formatPicker.value);
    history.replaceState(null, '', hash);
  }

  // ---- The editor ---------------------------------------------------------------------------

  function lineCount(text) {
    let n = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
    return n;
  }

  function drawGutter() {
    const n = lineCount(input.value);
    const marks = new Map();
    const rank = { info: 1, warning: 2, error: 3 };
    const findings = (lastAnswer && lastAnswer.report && lastAnswer.report.findings) || [];
    for (const f of findings) {
      const old = marks.get(f.line);
      if (!old || rank[f.severity] > rank[old]) marks.set(f.line, f.severity);
    }
    const errors = (lastAnswer && lastAnswer.report && lastAnswer.report.errors) || [];
    for (const e of errors) marks.set(e.line, 'error');
    const fragment = document.createDocumentFragment();
    for (let line = 1; line <= n; line++) {
      const div = document.createElement('div');
      div.textContent = String(line);
      if (marks.has(line)) div.classList.add('has-' + marks.get(line));
      if (line === selectedLine) div.classList.add('selected');
      fragment.appendChild(div);
    }
    gutter.replaceChildren(fragment);
    gutter.scrollTop = input.scrollTop;
  }

  // The UTF-16 offset of 1-based `line` and character `column` in `text`.
  function offsetOf(text, line, column) {
    let at = 0;
    for (let l = 1; l < line; l++) {
      const next = text.indexOf('\n', at);
      if (next === -1) return text.length;
      at = next + 1;
    }
    for (let c = 1; c < column && at < text.length && text[at] !== '\n'; c++) {
      at += text.codePointAt(at) > 0xffff ? 2 : 1;
    }
    return at;
  }

  // Selects a location in the editor and marks its line.
  function select(item, where) {
    for (const el of document.querySelectorAll('.selected')) el.classList.remove('selected');
    item.classList.add('selected');
    selectedLine = where.line;
    const text = input.value;
    const start = offsetOf(text, where.line, where.column);
    const end = where.end_line ? offsetOf(text, where.end_line, where.end_column) : start;
    input.focus({ preventScroll: true });
    input.setSelectionRange(start, Math.max(start, end));
    input.scrollTop = Math.max(0, (where.line - 4) * LINE_HEIGHT);
    drawGutter();
  }

  // ---- Results ------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function describeFix(fix) {
    const box = el('div', 'fix');
    box.appendChild(el('span', 'fix-title', `fix (${fix.applicability}): ${fix.title}`));
    if (fix.snippet) {
      box.appendChild(el('pre', 'code', fix.snippet));
    } else if (fix.edits && fix.edits.length) {
      const lines = fix.edits.map((e) =>
        `${e.line}:${e.column}-${e.end_line}:${e.end_column} → ${e.replacement}`);
      box.appendChild(el('pre', 'code', lines.join('\n')));
    }
    return box;
  }

  function show(answer) {
    lastAnswer = answer;
    const findingsList = $('findings');
    const errorsList = $('errors');
    findingsList.replaceChildren();
    errorsList.replaceChildren();
    selectedLine = 0;
    if (answer.internal_error) {
      errorsList.appendChild(el('li', 'input-error', `internal error: ${answer.internal_error}`));
      $('summary').textContent = '';
      $('clean').hidden = true;
      $('fixed-box').hidden = true;
      drawGutter();
      return;
    }
    const report = answer.report;
    for (const e of report.errors) {
      const li = el('li', 'input-error');
      li.dataset.line = String(e.line);
      li.appendChild(el('div', 'where', `line ${e.line}, column ${e.column}`));
      li.appendChild(el('p', 'message', e.message));
      li.addEventListener('click', () => select(li, e));
      errorsList.appendChild(li);
    }
    for (const f of report.findings) {
      const li = el('li', `finding ${f.severity}`);
      li.dataset.line = String(f.line);
      li.dataset.rule = f.rule;
      const head = el('div', 'where', `line ${f.line}, column ${f.column} `);
      head.appendChild(el('span', `sev ${f.severity}`, f.severity));
      head.appendChild(document.createTextNode(' '));
      head.appendChild(el('span', 'rule', f.rule));
      li.appendChild(head);
      li.appendChild(el('p', 'message', f.message));
      for (const r of f.related || []) {
        li.appendChild(el('p', 'related', `line ${r.line}: ${r.note}`));
      }
      if (f.help) li.appendChild(el('p', 'help', `help: ${f.help}`));
      if (f.fix) li.appendChild(describeFix(f.fix));
      li.addEventListener('click', () => select(li, f));
      findingsList.appendChild(li);
    }
    const s = report.summary;
    const parts = [`${s.findings} finding${s.findings === 1 ? '' : 's'}`];
    const n = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;
    if (s.findings) parts.push(`${n(s.errors, 'error')}, ${n(s.warnings, 'warning')}, ${n(s.infos, 'info')}`);
    if (s.parse_errors) parts.push(`${s.parse_errors} input error${s.parse_errors === 1 ? '' : 's'}`);
    parts.push(`read as ${answer.format}`);
    $('summary').textContent = `(${parts.join('; ')})`;
    $('clean').hidden = report.findings.length > 0 || report.errors.length > 0;
    $('fixed-box').hidden = !answer.fixed;
    $('fixed').textContent = answer.fixed ? answer.fixed.text : '';
    $('version').textContent = report.version;
    $('catalog').textContent = report.catalog.date;
    drawGutter();
  }

  function run() {
    if (!engine) return;
    const before = performance.now();
    show(lint(formatPicker.value, input.value));
    // The latest lint's duration and a count of lints, for the headless test and BENCHMARKS.md.
    document.body.dataset.lastLintMs = (performance.now() - before).toFixed(1);
    document.body.dataset.lints = String(Number(document.body.dataset.lints || 0) + 1);
    saveFragment().catch(() => {});
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
    drawGutter();
  }

  function loadExample() {
    const example = take(engine.iamlint_example());
    input.value = example.text;
    formatPicker.value = 'auto';
    run();
  }

  // ---- Start --------------------------------------------------------------------------------

  input.addEventListener('input', schedule);
  input.addEventListener('scroll', () => { gutter.scrollTop = input.scrollTop; });
  formatPicker.addEventListener('change', run);
  $('example').addEventListener('click', () => { if (engine) loadExample(); });
  $('use-fixed').addEventListener('click', () => {
    if (lastAnswer && lastAnswer.fixed) {
      input.value = lastAnswer.fixed.text;
      run();
    }
  });
  $('share').addEventListener('click', async () => {
    await saveFragment();
    try {
      await navigator.clipboard.writeText(location.href);
      status.textContent = 'Link copied: it holds the text itself, compressed.';
    } catch (e) {
      status.textContent = 'The link in the address bar holds the text; copy it from there.';
    }
  });

  (async () => {
    const t0 = performance.now();
    try {
      await loadEngine();
    } catch (e) {
      status.textContent = `The engine could not be loaded: ${e.message}`;
      document.body.dataset.state = 'failed';
      return;
    }
    const loaded = performance.now();
    let shared = null;
    try {
      shared = await readFragment(location.hash);
    } catch (e) {
      status.textContent = 'The text in the link could not be read; showing the example.';
    }
    if (shared) {
      input.value = shared.text;
      formatPicker.value = shared.format;
    } else {
      input.value = take(engine.iamlint_example()).text;
    }
    const before = performance.now();
    show(lint(formatPicker.value, input.value));
    const done = performance.now();
    // For the headless test and BENCHMARKS.md: milliseconds from navigation start to the first
    // result shown, loading the engine (fetch, compile, instantiate) and the first lint alone.
    document.body.dataset.firstResultMs = done.toFixed(0);
    document.body.dataset.loadMs = (loaded - t0).toFixed(0);
    document.body.dataset.lintMs = (done - before).toFixed(0);
    document.body.dataset.state = 'ready';
    if (!status.textContent.startsWith('The text')) {
      status.textContent = `Ready: engine loaded in ${(loaded - t0).toFixed(0)} ms, first result in ${(done - before).toFixed(0)} ms.`;
    }
    if (!shared) saveFragment().catch(() => {});
  })();
})();
