import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no bundled browser download).
 * `.ci/run` installs it; elsewhere a missing browser is a printed skip, and
 * under CI=true a failure.
 */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));

export function findChromium(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

/** undefined when the tests can run; otherwise the reason to skip (throws under CI=true). */
export function chromiumSkipReason(): string | undefined {
  if (findChromium()) return undefined;
  const reason = `chromium not found (looked at ${CANDIDATES.join(', ')}); install it (apt-get install chromium) or set CHROMIUM_PATH`;
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true that is a failure`);
  process.stdout.write(`# skipping browser tests: ${reason}\n`);
  return reason;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Collects console errors and uncaught page errors, so a test can assert there were none. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return errors;
}
