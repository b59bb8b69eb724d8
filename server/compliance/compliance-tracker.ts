/**
 * Pure compliance logic for one site (README, and docs/decisions.md#registry-fees-and-caps): rolling average of site kW
 * against the allocation. A violation opens once the average has stayed above
 * allocation × (1 + tolerance) for the grace period, and closes once it has
 * stayed at or below allocation × (1 + tolerance − hysteresis) for closeAfter.
 * The band between the two lines keeps a site hovering at the limit from
 * flapping open/closed. Time comes from the sample timestamps only, so the same
 * samples always give the same answer (and replays are deterministic).
 */
export interface ComplianceParams {
  windowMs: number;
  tolerance: number;
  graceMs: number;
  hysteresis: number;
  closeAfterMs: number;
}

export type ComplianceStatus = 'no_data' | 'no_allocation' | 'ok' | 'over' | 'violation';

export interface OpenViolation {
  openedAt: number;
  allocationKw: number;
  thresholdKw: number;
  peakKw: number;
  energyOverKwh: number;
}

export type ComplianceTransition =
  | { type: 'opened'; violation: OpenViolation }
  | { type: 'closed'; violation: OpenViolation; closedAt: number };

export interface ComplianceSnapshot {
  status: ComplianceStatus;
  averageKw: number | null;
  allocationKw: number;
  thresholdKw: number;
  open: OpenViolation | null;
}

export class SiteCompliance {
  private readonly window: Array<{ ts: number; kw: number }> = [];
  private head = 0;
  private sum = 0;
  private overSince: number | null = null;
  private underSince: number | null = null;
  private pendingEnergyKwh = 0;
  private pendingPeakKw = 0;
  private lastTs: number | null = null;
  private lastKw = 0;
  private allocationKw = 0;
  private open: OpenViolation | null = null;

  constructor(private readonly params: ComplianceParams) {}

  /** Resumes a violation that was open when the collector stopped. */
  restore(open: OpenViolation): void {
    this.open = { ...open };
  }

  /** Feeds one site sample; returns the violation that opened or closed, if any. */
  observe(ts: number, kw: number, allocationKw: number): ComplianceTransition | null {
    if (this.lastTs !== null && ts <= this.lastTs) return null; // out of order: replays do not rewrite the live verdict
    const prevTs = this.lastTs;
    const prevKw = this.lastKw;
    this.lastTs = ts;
    this.lastKw = kw;
    this.allocationKw = allocationKw;
    this.window.push({ ts, kw });
    this.sum += kw;
    while (this.head < this.window.length && this.window[this.head]!.ts <= ts - this.params.windowMs) {
      this.sum -= this.window[this.head]!.kw;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.window.length) {
      this.window.splice(0, this.head);
      this.head = 0;
    }
    if (allocationKw <= 0) return null;

    const avg = this.averageKw()!;
    const threshold = allocationKw * (1 + this.params.tolerance);
    const closeLine = allocationKw * (1 + this.params.tolerance - this.params.hysteresis);
    // Energy above the allocation, trapezoid over the last interval (kW × h).
    const overKwh = prevTs === null ? 0 : ((Math.max(0, prevKw - allocationKw) + Math.max(0, kw - allocationKw)) / 2) * ((ts - prevTs) / 3_600_000);

    if (this.open) {
      this.open.peakKw = Math.max(this.open.peakKw, kw);
      this.open.energyOverKwh += overKwh;
      if (avg <= closeLine) {
        this.underSince ??= ts;
        if (ts - this.underSince >= this.params.closeAfterMs) {
          const closed = this.open;
          this.open = null;
          this.underSince = null;
          this.overSince = null;
          return { type: 'closed', violation: closed, closedAt: ts };
        }
      } else {
        this.underSince = null;
      }
      return null;
    }

    if (avg > threshold) {
      if (this.overSince === null) {
        this.overSince = ts;
        this.pendingEnergyKwh = 0;
        this.pendingPeakKw = kw;
      } else {
        this.pendingEnergyKwh += overKwh;
        this.pendingPeakKw = Math.max(this.pendingPeakKw, kw);
      }
      if (ts - this.overSince >= this.params.graceMs) {
        this.open = { openedAt: this.overSince, allocationKw, thresholdKw: threshold, peakKw: this.pendingPeakKw, energyOverKwh: this.pendingEnergyKwh };
        this.underSince = null;
        return { type: 'opened', violation: { ...this.open } };
      }
    } else {
      this.overSince = null;
    }
    return null;
  }

  averageKw(): number | null {
    const n = this.window.length - this.head;
    return n === 0 ? null : this.sum / n;
  }

  current(): OpenViolation | null {
    return this.open && { ...this.open };
  }

  snapshot(): ComplianceSnapshot {
    const avg = this.averageKw();
    const threshold = this.allocationKw * (1 + this.params.tolerance);
    let status: ComplianceStatus;
    if (this.open) status = 'violation';
    else if (avg === null) status = 'no_data';
    else if (this.allocationKw <= 0) status = 'no_allocation';
    else status = avg > threshold ? 'over' : 'ok';
    return { status, averageKw: avg, allocationKw: this.allocationKw, thresholdKw: threshold, open: this.current() };
  }
}
