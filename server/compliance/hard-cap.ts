/**
 * Hard cap (pure): unlike the allocation, a site's hard cap is a line it must
 * not cross at all, so there is no grace period: the cap counts as exceeded as
 * soon as the rolling average is above it, and clears once the average is at or
 * below hardCap × (1 − hysteresis), so a site sitting at the line does not flap.
 */
export function hardCapTransition(exceeded: boolean, averageKw: number | null, hardCapKw: number | null, hysteresis: number): 'exceeded' | 'cleared' | null {
  if (hardCapKw === null || averageKw === null) return exceeded ? 'cleared' : null;
  if (!exceeded) return averageKw > hardCapKw ? 'exceeded' : null;
  return averageKw <= hardCapKw * (1 - hysteresis) ? 'cleared' : null;
}
