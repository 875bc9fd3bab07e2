// Runs the perf suite (test/e2e/perf) inside code-server and returns its JSON.
import { launchBrowser, runSuite } from './harness.mjs';

export async function perfInVsCode() {
  const browser = await launchBrowser();
  try {
    const { code, result } = await runSuite(browser, 'perf', '.il-perf.json', 300000);
    if (!result) throw new Error(`perf suite produced no results (exit ${code})`);
    return result;
  } finally {
    await browser.close();
  }
}
