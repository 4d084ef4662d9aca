/**
 * Turn `tmux capture-pane -e` output (text with SGR escape sequences) into an HTML page that looks like the
 * terminal, so headless Chromium can take a PNG of the TUI.
 */

const PALETTE = [
  '#1d1f27', '#e05561', '#8cc265', '#d18f52', '#4aa5f0', '#c162de', '#42b3c2', '#d7dae0',
  '#5c6370', '#ff616e', '#a5e075', '#f0a45d', '#4dc4ff', '#de73ff', '#4cd1e0', '#ffffff',
]; // prettier-ignore

const FG = '#d7dae0';
const BG = '#1d1f27';

function color256(n: number): string {
  if (n < 16) return PALETTE[n] ?? FG;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const steps = [0, 95, 135, 175, 215, 255];
  return `rgb(${steps[Math.floor(i / 36)]},${steps[Math.floor(i / 6) % 6]},${steps[i % 6]})`;
}

interface Style {
  fg: string | null;
  bg: string | null;
  bold: boolean;
  dim: boolean;
  inverse: boolean;
}

function applySgr(style: Style, params: number[]): void {
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as number;
    if (p === 0) Object.assign(style, { fg: null, bg: null, bold: false, dim: false, inverse: false });
    else if (p === 1) style.bold = true;
    else if (p === 2) style.dim = true;
    else if (p === 22) style.bold = style.dim = false;
    else if (p === 7) style.inverse = true;
    else if (p === 27) style.inverse = false;
    else if (p >= 30 && p <= 37) style.fg = PALETTE[p - 30] ?? null;
    else if (p >= 90 && p <= 97) style.fg = PALETTE[p - 90 + 8] ?? null;
    else if (p >= 40 && p <= 47) style.bg = PALETTE[p - 40] ?? null;
    else if (p >= 100 && p <= 107) style.bg = PALETTE[p - 100 + 8] ?? null;
    else if (p === 39) style.fg = null;
    else if (p === 49) style.bg = null;
    else if ((p === 38 || p === 48) && params[i + 1] === 5) {
      const c = color256(params[i + 2] ?? 7);
      if (p === 38) style.fg = c;
      else style.bg = c;
      i += 2;
    } else if ((p === 38 || p === 48) && params[i + 1] === 2) {
      const c = `rgb(${params[i + 2] ?? 0},${params[i + 3] ?? 0},${params[i + 4] ?? 0})`;
      if (p === 38) style.fg = c;
      else style.bg = c;
      i += 4;
    }
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
}

/** A standalone HTML page showing the captured screen (`columns` wide) in a terminal-like frame. */
export function screenToHtml(captured: string, columns: number, title: string): string {
  const style: Style = { fg: null, bg: null, bold: false, dim: false, inverse: false };
  const lines = captured.replace(/\n$/, '').split('\n');
  const html = lines
    .map((line) => {
      let out = '';
      for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
        const sgr = /^\x1b\[([0-9;]*)m$/.exec(part);
        if (sgr) {
          applySgr(style, (sgr[1] ?? '').split(';').filter(Boolean).map(Number));
          continue;
        }
        if (part === '') continue;
        let fg = style.fg ?? FG;
        let bg = style.bg ?? BG;
        if (style.inverse) [fg, bg] = [bg, fg];
        const css = `color:${fg};background:${bg};${style.bold ? 'font-weight:700;' : ''}${style.dim ? 'opacity:.6;' : ''}`;
        out += `<span style="${css}">${escapeHtml(part)}</span>`;
      }
      return out;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #0f1015; padding: 18px; display: inline-block; }
.window { border-radius: 8px; overflow: hidden; box-shadow: 0 6px 24px rgba(0,0,0,.5); display: inline-block; }
.bar { background: #2b2e3a; color: #aab; font: 12px system-ui, sans-serif; padding: 6px 12px; }
pre { margin: 0; padding: 8px 10px; background: ${BG}; color: ${FG}; font: 14px/1.12 "DejaVu Sans Mono", "Liberation Mono", monospace; width: ${columns}ch; }
</style></head><body><div class="window"><div class="bar">${escapeHtml(title)}</div><pre id="screen">${html}</pre></div></body></html>`;
}
