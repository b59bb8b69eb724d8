/** One CSV cell (RFC 4180): quoted when it holds a quote, comma or line break. */
export function csvCell(v: unknown): string {
  const s = String(v ?? '');
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
