/**
 * The site's stylesheet and search script. Plain files with no dependencies: the site works opened from
 * disk (`file://`), so the search index is a script (`window.BLOODBANK_SEARCH = …`), not fetched JSON.
 */

export const STYLE_CSS = `:root {
  --bg: #fbfbfd; --fg: #1d1f27; --muted: #5d6272; --line: #e2e4ec; --accent: #b4232c; --accent-bg: #fbeaea;
  --code-bg: #f3f4f8; --cmd: #8a5a00; --cmd-bg: #fff3d6; --ev: #1f5f99; --ev-bg: #e6f0fb;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.5; }
a { color: var(--ev); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.88em; }
code { background: var(--code-bg); padding: 0.05em 0.3em; border-radius: 3px; }
pre { background: var(--code-bg); padding: 0.8em 1em; border-radius: 6px; overflow-x: auto; border: 1px solid var(--line); }
pre code { background: none; padding: 0; }
header.top { display: flex; align-items: center; gap: 1.5em; padding: 0.7em 1.5em; background: #1d1f27; color: #fff; position: sticky; top: 0; z-index: 5; }
header.top a.brand { color: #fff; font-weight: 700; letter-spacing: 0.02em; }
header.top a.brand span { color: #ff6b6b; }
.search { position: relative; flex: 1; max-width: 34em; }
.search input { width: 100%; padding: 0.45em 0.8em; border-radius: 6px; border: 1px solid #444a5c; background: #2a2d39; color: #fff; font-size: 0.95em; }
.search input::placeholder { color: #9aa0b2; }
.search ul { list-style: none; margin: 0.3em 0 0; padding: 0.3em 0; position: absolute; left: 0; right: 0; background: #fff; color: var(--fg); border: 1px solid var(--line); border-radius: 6px; box-shadow: 0 8px 24px rgba(0,0,0,0.15); max-height: 60vh; overflow-y: auto; }
.search ul:empty { display: none; }
.search li a { display: block; padding: 0.35em 0.8em; color: var(--fg); }
.search li a small { color: var(--muted); margin-left: 0.5em; }
.search li.active a, .search li a:hover { background: var(--ev-bg); text-decoration: none; }
.layout { display: grid; grid-template-columns: 16em 1fr; min-height: calc(100vh - 3em); }
nav.side { border-right: 1px solid var(--line); padding: 1em 0.8em; font-size: 0.9em; background: #fff; }
nav.side h4 { margin: 1em 0 0.2em; text-transform: uppercase; font-size: 0.75em; letter-spacing: 0.08em; color: var(--muted); }
nav.side ul { list-style: none; margin: 0; padding: 0; }
nav.side li a { display: block; padding: 0.1em 0.4em; border-radius: 4px; color: var(--fg); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
nav.side li a.current { background: var(--ev-bg); color: var(--ev); font-weight: 600; }
main { padding: 1.5em 2.5em 4em; max-width: 75em; }
h1 { margin: 0.2em 0 0.3em; font-size: 1.7em; }
h1 code { font-size: 0.85em; background: none; padding: 0; }
h2 { margin-top: 2em; border-bottom: 1px solid var(--line); padding-bottom: 0.2em; font-size: 1.25em; }
.crumbs { font-size: 0.85em; color: var(--muted); }
.badge { display: inline-block; font-size: 0.72em; font-weight: 700; text-transform: uppercase; letter-spacing: 0.06em; padding: 0.15em 0.55em; border-radius: 999px; vertical-align: middle; }
.badge.event { color: var(--ev); background: var(--ev-bg); }
.badge.command { color: var(--cmd); background: var(--cmd-bg); }
.lead { font-size: 1.05em; color: #373b47; max-width: 60em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; margin: 0.8em 0; background: #fff; }
th, td { text-align: left; vertical-align: top; padding: 0.45em 0.7em; border-bottom: 1px solid var(--line); }
th { background: #f1f2f6; font-weight: 600; white-space: nowrap; }
td.field code { white-space: nowrap; }
td.type { white-space: nowrap; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85em; }
td.req { text-align: center; }
.req-yes { color: var(--accent); font-weight: 700; }
.constraints span { display: inline-block; background: var(--code-bg); border-radius: 3px; padding: 0 0.35em; margin: 0 0.25em 0.2em 0; font-size: 0.85em; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1.2em; margin: 0.8em 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.flow { display: flex; gap: 1em; flex-wrap: wrap; margin: 0.8em 0; }
.flow a.card { border: 1px solid var(--line); border-radius: 8px; padding: 0.6em 1em; background: #fff; min-width: 16em; }
.flow a.card b { display: block; font-size: 0.75em; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
details summary { cursor: pointer; color: var(--muted); margin: 0.6em 0; }
footer { color: var(--muted); font-size: 0.8em; margin-top: 3em; }
@media (max-width: 800px) { .layout { grid-template-columns: 1fr; } nav.side { display: none; } main { padding: 1em; } }
`;

export const SEARCH_JS = `(function () {
  var index = window.BLOODBANK_SEARCH || [];
  var root = document.documentElement.getAttribute('data-root') || '';
  var input = document.getElementById('search');
  var list = document.getElementById('search-results');
  if (!input || !list) return;
  var active = 0;
  var current = [];
  function score(entry, terms) {
    var key = entry.key.toLowerCase();
    var hay = (entry.key + ' ' + entry.title + ' ' + entry.summary + ' ' + entry.fields).toLowerCase();
    var s = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i];
      if (hay.indexOf(t) < 0) return -1;
      if (key === t) s += 100;
      else if (key.indexOf(t) === 0) s += 50;
      else if (key.indexOf(t) >= 0) s += 20;
      else if (entry.title.toLowerCase().indexOf(t) >= 0) s += 10;
      else s += 1;
    }
    return s;
  }
  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function render() {
    var q = input.value.trim().toLowerCase();
    list.innerHTML = '';
    current = [];
    if (!q) return;
    var terms = q.split(/\\s+/);
    current = index
      .map(function (e) { return { e: e, s: score(e, terms) }; })
      .filter(function (r) { return r.s >= 0; })
      .sort(function (a, b) { return b.s - a.s || a.e.key.localeCompare(b.e.key); })
      .slice(0, 12)
      .map(function (r) { return r.e; });
    if (active >= current.length) active = 0;
    if (current.length === 0) {
      list.innerHTML = '<li class="none"><a>No event matches “' + escapeHtml(q) + '”</a></li>';
      return;
    }
    list.innerHTML = current
      .map(function (e, i) {
        return '<li' + (i === active ? ' class="active"' : '') + '><a href="' + root + e.url + '">' +
          escapeHtml(e.key) + '<small>' + escapeHtml(e.kind) + ' · ' + escapeHtml(e.title) + '</small></a></li>';
      })
      .join('');
  }
  input.addEventListener('input', function () { active = 0; render(); });
  input.addEventListener('keydown', function (ev) {
    if (ev.key === 'ArrowDown') { active = Math.min(active + 1, current.length - 1); render(); ev.preventDefault(); }
    else if (ev.key === 'ArrowUp') { active = Math.max(active - 1, 0); render(); ev.preventDefault(); }
    else if (ev.key === 'Enter' && current[active]) { window.location.href = root + current[active].url; }
    else if (ev.key === 'Escape') { input.value = ''; render(); }
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === '/' && document.activeElement !== input) { input.focus(); ev.preventDefault(); }
  });
})();
`;
