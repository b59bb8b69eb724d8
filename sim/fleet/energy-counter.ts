/**
 * The site's cumulative import in kWh, as a revenue meter would count it:
 * the fleet's total power (miners + overhead) integrated over time with the
 * trapezoid rule on a 1 s tick, plus the part since the last tick on read.
 */
export class EnergyCounter {
  private kwh = 0;
  private lastAt: number;
  private lastW: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly readPowerW: () => number,
    private readonly now: () => number = Date.now,
    private readonly tickMs = 1000,
  ) {
    this.lastAt = now();
    this.lastW = readPowerW();
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  tick(): void {
    const at = this.now();
    const w = this.readPowerW();
    this.kwh += (((this.lastW + w) / 2) * (at - this.lastAt)) / 3_600_000_000;
    this.lastAt = at;
    this.lastW = w;
  }

  importKwh(): number {
    return this.kwh + (this.lastW * (this.now() - this.lastAt)) / 3_600_000_000;
  }
}
