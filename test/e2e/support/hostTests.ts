// The little test runner the extension-host suites share (test/e2e/suite, test/e2e/untrusted):
// tests run in order inside code-server's extension host; results go to a JSON file in the
// workspace that the harness reads, with progress after every test for runs that end early.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

type Test = { name: string; fn: () => Promise<void> };

export function suite(): { test: (name: string, fn: () => Promise<void>) => void; run: () => Promise<void> } {
  const tests: Test[] = [];
  const test = (name: string, fn: () => Promise<void>) => void tests.push({ name, fn });
  const run = async (): Promise<void> => {
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const results: { name: string; ok: boolean; error?: string; ms: number }[] = [];
    for (const { name, fn } of tests) {
      const t0 = Date.now();
      try {
        await fn();
        results.push({ name, ok: true, ms: Date.now() - t0 });
      } catch (e) {
        results.push({ name, ok: false, error: (e as Error).stack ?? String(e), ms: Date.now() - t0 });
      }
      fs.writeFileSync(path.join(ws, '.il-e2e-progress.json'), JSON.stringify(results, null, 1));
    }
    fs.writeFileSync(path.join(ws, '.il-e2e-results.json'), JSON.stringify(results, null, 1));
    const failed = results.filter((r) => !r.ok).length;
    if (failed) throw new Error(`${failed} extension-host test(s) failed`);
  };
  return { test, run };
}
