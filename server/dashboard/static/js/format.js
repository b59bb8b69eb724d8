// Number and time formatting in one place, so every view says "MW" the same way.

const nf = (digits) => new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const NF0 = nf(0);
const NF1 = nf(1);
const NF2 = nf(2);

export const isNum = (x) => typeof x === 'number' && Number.isFinite(x);

/** kW shown as kW below 1 MW, else MW. */
export function power(kw) {
  if (!isNum(kw)) return '—';
  return Math.abs(kw) >= 1000 ? `${NF2.format(kw / 1000)} MW` : `${NF1.format(kw)} kW`;
}

export function mw(kw) {
  return isNum(kw) ? `${NF2.format(kw / 1000)} MW` : '—';
}

export function kw(value) {
  return isNum(value) ? `${NF1.format(value)} kW` : '—';
}

export function watts(w) {
  return isNum(w) ? `${NF0.format(w)} W` : '—';
}

/** TH/s shown as PH/s from 1,000 TH/s up. */
export function hashrate(ths) {
  if (!isNum(ths)) return '—';
  return ths >= 1000 ? `${NF2.format(ths / 1000)} PH/s` : `${NF1.format(ths)} TH/s`;
}

export function jth(value) {
  return isNum(value) ? `${NF1.format(value)} J/TH` : '—';
}

export function temp(c) {
  return isNum(c) ? `${NF0.format(c)} °C` : '—';
}

export function int(n) {
  return isNum(n) ? NF0.format(n) : '—';
}

export function kwh(value) {
  return isNum(value) ? `${NF1.format(value)} kWh` : '—';
}

export function money(value, currency = 'USD') {
  if (!isNum(value)) return '—';
  // Grid fees are fractions of a cent per kWh: small sums keep four decimals.
  const digits = Math.abs(value) < 10 && value !== 0 ? 4 : 2;
  return `${new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value)} ${currency}`;
}

/** A tariff with its currency and unit: grid fees are fractions of a cent. */
export function tariff(value, currency = 'USD') {
  return isNum(value) ? `${new Intl.NumberFormat('en-US', { minimumFractionDigits: 4, maximumFractionDigits: 6 }).format(value)} ${currency}/kWh` : '—';
}

export function percent(ratio) {
  return isNum(ratio) ? `${NF0.format(ratio * 100)} %` : '—';
}

/** Accepts ms since epoch, seconds since epoch or an ISO string. */
export function toMs(t) {
  if (t === null || t === undefined || t === '') return null;
  if (typeof t === 'number') return t < 1e11 ? t * 1000 : t;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

export function time(t) {
  const ms = toMs(t);
  return ms === null ? '—' : new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function dateTime(t) {
  const ms = toMs(t);
  return ms === null ? '—' : new Date(ms).toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' });
}

export function ago(t) {
  const ms = toMs(t);
  if (ms === null) return '—';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function duration(seconds) {
  if (!isNum(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${NF1.format(s / 3600)} h`;
}
