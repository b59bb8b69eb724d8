/**
 * Seeded randomness for the emulator. Everything that varies between miners
 * (model choice, faults, unit-to-unit spread, jitter) comes from here so a
 * `--seed` reproduces the same site, and jitter is a pure function of
 * (seed, miner, time bucket) so the meter and a miner's own report agree at
 * the same instant.
 */

/** mulberry32: small, fast, good enough for choosing and jittering. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stateless hash of integers into [0, 1). */
export function hashUnit(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h ^= part | 0;
    h = Math.imul(h, 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return (h >>> 0) / 4294967296;
}

/** Roughly bell-shaped noise in [-1, 1] (mean of two uniforms, rescaled). */
export function hashNoise(...parts: number[]): number {
  return hashUnit(...parts, 1) + hashUnit(...parts, 2) - 1;
}

/** Fisher–Yates on a copy, driven by `rng`. */
export function shuffled<T>(items: readonly T[], rng: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
