// A node:test reporter that only counts outcomes, so run-tests.mjs can print one
// total line over both broker passes.
export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for await (const event of source) {
    if (event.type === 'test:pass' && !event.data.details?.type) {
      if (event.data.skip || event.data.todo) counts.skipped++;
      else counts.passed++;
    } else if (event.type === 'test:fail' && !event.data.details?.type) {
      counts.failed++;
    } else if (event.type === 'test:fail' && event.data.details?.type === 'suite') {
      // a suite failing in its hooks has no failing child tests; count it once
      if (event.data.details?.error?.failureType === 'hookFailed') counts.failed++;
    }
  }
  yield JSON.stringify(counts);
}
