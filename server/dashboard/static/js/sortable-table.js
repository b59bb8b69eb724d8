// A table sortable by clicking (or Enter/Space on) its column headers, with
// aria-sort for screen readers. Sort state survives refreshes; large tables
// show the first `pageSize` rows until asked for more.

import { h, setChildren } from './dom.js';

/**
 * columns: [{ key, label, value: (row) => sortable, render: (row) => text|Node, numeric }]
 */
export function sortableTable({ columns, rowKey, initialSort, pageSize = 250, testid, caption }) {
  let rows = [];
  let sort = initialSort ?? { key: columns[0].key, dir: 'asc' };
  let limit = pageSize;
  const headRow = h('tr');
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'ghost', hidden: true, onclick: () => { limit = Infinity; draw(); } });
  const table = h('table', { class: 'data sortable', 'data-testid': testid }, caption ? h('caption', { class: 'sr-only' }, caption) : null, h('thead', {}, headRow), tbody);
  const el = h('div', { class: 'table-wrap' }, table, more);

  const drawHead = () => {
    setChildren(headRow, columns.map((c) => {
      const active = sort.key === c.key;
      return h('th', { scope: 'col', class: c.numeric ? 'num' : '', 'aria-sort': active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none' },
        h('button', { type: 'button', class: 'sort', 'data-key': c.key, onclick: () => {
          sort = active ? { key: c.key, dir: sort.dir === 'asc' ? 'desc' : 'asc' } : { key: c.key, dir: c.numeric ? 'desc' : 'asc' };
          draw();
        } }, c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : '')));
    }));
  };

  const compare = (a, b) => {
    const col = columns.find((c) => c.key === sort.key) ?? columns[0];
    const va = col.value(a);
    const vb = col.value(b);
    // Missing values sort last in both directions: an operator wants real numbers first.
    if (va === null || va === undefined) return vb === null || vb === undefined ? 0 : 1;
    if (vb === null || vb === undefined) return -1;
    const d = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), undefined, { numeric: true });
    return sort.dir === 'asc' ? d : -d;
  };

  const draw = () => {
    drawHead();
    const sorted = [...rows].sort(compare);
    const shown = sorted.slice(0, limit);
    setChildren(tbody, shown.map((r) => h('tr', { 'data-key': rowKey(r) }, columns.map((c) => h('td', { class: c.numeric ? 'num' : '' }, c.render(r))))));
    more.hidden = sorted.length <= limit;
    more.textContent = `Show all ${sorted.length} rows`;
  };

  return {
    el,
    setRows(next) {
      rows = next;
      draw();
    },
    get sort() {
      return { ...sort };
    },
  };
}
