/**
 * A small line chart as standalone SVG text, for the benchmark report pages
 * (GitHub renders SVG images in markdown; no chart library needed for a few
 * series of points). x is numeric, optionally on a log scale (sizes); a target
 * draws as a dashed horizontal line with its label.
 */
export interface Series {
  name: string;
  points: Array<{ x: number; y: number }>;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  targets?: Array<{ y: number; label: string }>;
  logX?: boolean;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 1, 2 or 5 times a power of ten: tick steps people read easily. */
function niceStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(2)}`);

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 640;
  const H = spec.height ?? 320;
  const m = { l: 64, r: 16, t: 36, b: 52 };
  const pts = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const ys = [...pts.map((p) => p.y), ...(spec.targets ?? []).map((t) => t.y)];
  const xs = pts.map((p) => p.x);
  const yMax = Math.max(1e-9, ...ys) * 1.1;
  const step = niceStep(yMax, 5);
  const yTop = Math.ceil(yMax / step) * step;
  const tx = (v: number) => (spec.logX ? Math.log10(v) : v);
  const x0 = xs.length ? Math.min(...xs.map(tx)) : 0;
  const x1 = xs.length ? Math.max(...xs.map(tx)) : 1;
  const span = x1 - x0 || 1;
  const px = (x: number) => m.l + ((tx(x) - x0 + (x1 === x0 ? 0.5 : 0)) / span) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - (y / yTop) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  for (let v = 0; v <= yTop + 1e-9; v += step) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(v)}" y2="${py(v)}" stroke="#eee"/>`, `<text x="${m.l - 6}" y="${py(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${px(x)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  out.push(
    `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/>`,
    `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.xLabel)}${spec.logX ? ' (log scale)' : ''}</text>`,
    `<text x="14" y="${(m.t + H - m.b) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(m.t + H - m.b) / 2})">${esc(spec.yLabel)}</text>`,
  );
  for (const t of spec.targets ?? []) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(t.y)}" y2="${py(t.y)}" stroke="#888" stroke-dasharray="6 4"/>`, `<text x="${W - m.r - 4}" y="${py(t.y) - 4}" text-anchor="end" fill="#555">${esc(t.label)}</text>`);
  }
  spec.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const ok = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (ok.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${ok.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of ok) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${c}"/>`);
    out.push(`<rect x="${m.l + 10 + i * 150}" y="${m.t - 4}" width="10" height="10" fill="${c}"/>`, `<text x="${m.l + 24 + i * 150}" y="${m.t + 5}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
