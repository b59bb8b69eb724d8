// The site power chart (uPlot): site kW, miner kW, the allocation line, and
// curtailment periods shaded behind the lines.

import uPlot from '/assets/vendor/uPlot.esm.js';

const css = (name, fallback) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

/** periods: [{ from: sec, to: sec, label }] drawn as shaded bands. */
function shadePlugin(getPeriods) {
  return {
    hooks: {
      drawClear: (u) => {
        const { ctx } = u;
        const { left, top, width, height } = u.bbox;
        ctx.save();
        ctx.fillStyle = css('--shade', 'rgba(56, 189, 248, 0.15)');
        for (const p of getPeriods()) {
          const x0 = Math.max(left, u.valToPos(p.from, 'x', true));
          const x1 = Math.min(left + width, u.valToPos(p.to, 'x', true));
          if (x1 > x0) ctx.fillRect(x0, top, x1 - x0, height);
        }
        ctx.restore();
      },
    },
  };
}

export function powerChart(container, { height = 320 } = {}) {
  let periods = [];
  const axis = { stroke: css('--muted', '#94a3b8'), grid: { stroke: css('--grid', 'rgba(148,163,184,0.15)') }, ticks: { stroke: css('--grid', 'rgba(148,163,184,0.15)') } };
  const opts = {
    width: Math.max(300, container.clientWidth || 800),
    height,
    plugins: [shadePlugin(() => periods)],
    scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [axis, { ...axis, label: 'kW', size: 70, values: (_u, ticks) => ticks.map((t) => (t >= 1000 ? `${(t / 1000).toFixed(1)}k` : String(Math.round(t)))) }],
    series: [
      {},
      { label: 'Site kW', stroke: css('--accent', '#f59e0b'), width: 2, value: (_u, v) => (v == null ? '—' : `${v.toFixed(1)} kW`) },
      { label: 'Miners kW', stroke: css('--muted', '#94a3b8'), width: 1, dash: [4, 4], value: (_u, v) => (v == null ? '—' : `${v.toFixed(1)} kW`) },
      { label: 'Allocation', stroke: css('--bad', '#ef4444'), width: 2, dash: [10, 6], points: { show: false }, value: (_u, v) => (v == null ? '—' : `${v.toFixed(1)} kW`) },
    ],
    legend: { live: true },
  };
  const plot = new uPlot(opts, [[], [], [], []], container);
  const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, container.clientWidth), height }));
  resize.observe(container);
  return {
    /** points: [{ t: sec, kw, minerKw }], allocationKw: number|null, shaded: periods */
    update(points, allocationKw, shaded, range) {
      periods = shaded;
      const xs = points.map((p) => p.t);
      const data = [xs, points.map((p) => p.kw), points.map((p) => p.minerKw), points.map(() => (allocationKw > 0 ? allocationKw : null))];
      // Keep the chosen window fixed even when data is sparse, so a new site does not zoom into 3 points.
      if (range) {
        data[0] = [range.from, ...xs, range.to];
        for (let i = 1; i < data.length; i++) data[i] = [null, ...data[i], null];
        data[3][0] = data[3][data[3].length - 1] = allocationKw > 0 ? allocationKw : null;
      }
      plot.setData(data);
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
