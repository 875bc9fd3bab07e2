// Browser tests of what only the screen shows, against the packaged VSIX installed in
// code-server: the overlay and the hint, the hover, and the panel's views. Screenshots go to
// test-results/screenshots/.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { E2E_MODEL, e2eModelDir, installVsix, makeWorkspace, SHOTS, startCodeServer } from './harness.mjs';

const ROOT_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, f, ms = 30000) {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export async function command(page, title) {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(title);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${title.replace(/"/g, '\\"')}"]`, { timeout: 10000 }).catch(() => undefined);
  await sleep(200);
  await page.keyboard.press('Enter');
}

async function openFile(page, name) {
  // Keyboard focus may sit in the panel's iframe: give it back to the workbench first.
  const editor = page.locator('.editor-group-container .monaco-editor .view-lines').first();
  if (await editor.count()) await editor.click();
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.keyboard.type(name);
    // Wait until quick open lists the file (the first file search of a workspace takes a moment).
    const row = page.locator(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 10000 });
      await page.keyboard.press('Enter');
      await page.waitForSelector(`.tab.active[aria-label*="${name}"]`, { timeout: 10000 });
      break;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (attempt >= 2) throw e;
    }
  }
  await page.click('.editor-group-container.active .monaco-editor .view-lines');
}

/** Predicted-successor hints rendered in the editor: inlay hints are injected text, found as
 *  text or as ::before/::after content of the line's spans. */
async function renderedHints(page) {
  const hints = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('.editor-group-container .monaco-editor .view-lines span')) {
      for (const pseudo of ['::before', '::after']) {
        const c = getComputedStyle(el, pseudo).content;
        if (c && c.includes('→')) out.push(c);
      }
      if (el.children.length === 0 && el.textContent.includes('→')) out.push(el.textContent);
    }
    return out;
  });
  return hints.length ? hints : null;
}

async function goToLine(page, line) {
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(String(line));
  await sleep(150);
  await page.keyboard.press('Enter');
  await sleep(150);
}

/** Clicks highlighted tokens until the cursor sits on a line whose hints render. */
async function cursorOnHintLine(page) {
  const boxes = await page.evaluate(() => [...document.querySelectorAll('.editor-group-container .monaco-editor .view-overlays [class*="TextEditorDecorationType"]')]
    .map((el) => ({ bg: getComputedStyle(el).backgroundColor, r: el.getBoundingClientRect() }))
    .filter((x) => x.bg && x.bg !== 'rgba(0, 0, 0, 0)' && x.r.width > 4 && x.r.top > 120 && x.r.bottom < 900)
    .map((x) => ({ x: x.r.left + x.r.width / 2, y: x.r.top + x.r.height / 2 })));
  for (const b of boxes.slice(0, 25)) {
    await page.mouse.click(b.x, b.y);
    const found = await waitFor('hints', () => renderedHints(page), 1500).catch(() => null);
    if (found) return found;
  }
  return null;
}

/** Whether any rendered text of the editor runs past its right edge (word wrap must keep it in). */
async function overflowingLines(page) {
  return page.evaluate(() => {
    const editor = document.querySelector('.editor-group-container .monaco-editor .lines-content')?.closest('.monaco-scrollable-element');
    if (!editor) return ['no editor'];
    const right = editor.getBoundingClientRect().right;
    const out = [];
    for (const el of document.querySelectorAll('.editor-group-container .monaco-editor .view-line span')) {
      if (el.children.length) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > right + 1) out.push(`${el.textContent} (${Math.round(r.right)} > ${Math.round(right)})`);
    }
    return out;
  });
}

/** The panel's document: webviews are nested iframes. */
function panelFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** The model is configured, as a user who picked it earlier has it (runs with a test model). */
function configureModel(d) {
  if (!E2E_MODEL) return;
  const file = path.join(d.userData, 'User', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(file, 'utf8'));
  Object.assign(settings, { 'inductionLens.modelPath': e2eModelDir(d), 'inductionLens.modelFolders': [e2eModelDir(d)] });
  fs.writeFileSync(file, JSON.stringify(settings, null, 1));
}

/** A real source file: Python's textwrap.py from the machine (the file the overlay was first
 *  judged on), else this project's own overlay planner. */
function realSourceFile(workspace) {
  let src = null;
  try {
    src = execFileSync('/usr/bin/python3', ['-c', 'import textwrap; print(textwrap.__file__)'], { encoding: 'utf8' }).trim();
  } catch { /* no Python */ }
  if (!src || !fs.existsSync(src)) src = path.join(ROOT_DIR, 'src', 'engine', 'overlay.ts');
  const name = path.basename(src);
  fs.copyFileSync(src, path.join(workspace, name));
  return name;
}

/**
 * What a new user sees on a real source file with the default settings (word wrap on, to check
 * that hints take their room), in a fresh VS Code per theme: only the events that matter are
 * painted, hints sit on the cursor line, no text runs off a wrapped line. Screenshots for the README.
 */
export async function realFileTests(browser) {
  const results = [];
  for (const [theme, shot] of [['Default Dark Modern', 'editor-real-dark'], ['Default Light Modern', 'editor-real-light']]) {
    const name = `a real source file with the defaults in ${theme}: the events that matter are painted, hints on the cursor line, nothing runs off a wrapped line`;
    const d = makeWorkspace(`real-${shot}`, { 'workbench.colorTheme': theme, 'editor.wordWrap': 'on' });
    configureModel(d);
    const file = realSourceFile(d.workspace);
    installVsix(d);
    const server = await startCodeServer(d);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const t0 = Date.now();
    try {
      await page.goto(`${server.url}/?folder=${encodeURIComponent(d.workspace)}`);
      await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
      await sleep(1500);
      await openFile(page, file);
      // The command analyzes the visible lines when nothing is selected: show lines ~40-80.
      await goToLine(page, 60);
      await page.keyboard.press('Escape');
      await command(page, 'Induction Lens: Show Induction Attention');
      const overlay = page.locator('.editor-group-container .monaco-editor .view-overlays [class*="TextEditorDecorationType"]');
      await waitFor('decorations', async () => (await overlay.count()) > 0, 60000);
      const events = page.locator('.statusbar-item', { hasText: /events/ }).first();
      const label = await waitFor('event count in the status bar', async () => {
        const t = await events.innerText().catch(() => '');
        return /(\d+) of (\d+) events/.exec(t);
      }, 15000);
      if (!(Number(label[1]) < Number(label[2]))) throw new Error(`status bar: ${label[0]}`);
      const hints = await cursorOnHintLine(page);
      if (!hints) throw new Error('no line with a rendered →B hint');
      await page.mouse.move(5, 500);
      await sleep(800);
      const over = await overflowingLines(page);
      if (over.length) throw new Error(`text runs off the right edge with word wrap on: ${over.slice(0, 3).join(', ')}`);
      const light = (await page.locator('.monaco-workbench.vs').count()) > 0;
      if (light !== theme.includes('Light')) throw new Error(`${theme} is not active`);
      await page.screenshot({ path: path.join(SHOTS, `${shot}.png`) });
      // The hover on a painted token, for the README.
      const box = await page.evaluate(() => [...document.querySelectorAll('.editor-group-container .monaco-editor .view-overlays [class*="TextEditorDecorationType"]')]
        .map((el) => ({ bg: getComputedStyle(el).backgroundColor, r: el.getBoundingClientRect() }))
        .filter((x) => x.bg && x.bg !== 'rgba(0, 0, 0, 0)' && x.r.width > 10 && x.r.top > 200 && x.r.top < 600)
        .map((x) => ({ x: x.r.left + x.r.width / 2, y: x.r.top + x.r.height / 2 }))[0]);
      if (box) {
        await page.mouse.move(box.x, box.y);
        await sleep(200);
        await page.mouse.move(box.x + 1, box.y);
        const hover = page.locator('.monaco-hover:visible');
        await waitFor('hover', async () => (await hover.count()) > 0 && /Induction Lens/.test(await hover.first().innerText()), 15000);
        await sleep(600);
        await page.screenshot({ path: path.join(SHOTS, `${shot}-hover.png`) });
      }
      results.push({ name, ok: true, ms: Date.now() - t0 });
    } catch (e) {
      const failShot = path.join(SHOTS, `failure-${shot}.png`);
      await page.screenshot({ path: failShot }).catch(() => undefined);
      results.push({ name, ok: false, error: `${e.stack ?? e}\n(screenshot ${failShot})`, ms: Date.now() - t0 });
    } finally {
      await page.close();
      server.stop();
    }
  }
  return results;
}

/** Runs one named test into `results`: its time, or its error with a screenshot of the page
 *  (`<prefix>-<n>.png` under SHOTS). */
export function runner(page, results, prefix) {
  return async (name, fn) => {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - t0 });
    } catch (e) {
      const shot = path.join(SHOTS, `${prefix}-${results.length}.png`);
      await page.screenshot({ path: shot }).catch(() => undefined);
      results.push({ name, ok: false, error: `${e.stack ?? e}\n(screenshot ${shot})`, ms: Date.now() - t0 });
    }
  };
}

export async function uiTests(browser) {
  const results = [];
  const threshold = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'test', 'fixtures', E2E_MODEL ?? 'attn-only-2l', 'reference.json'), 'utf8')).inductionThreshold;
  const d = makeWorkspace('ui', { 'inductionLens.openPanel': true, 'inductionLens.attentionThreshold': 0.3, 'inductionLens.inductionThreshold': threshold });
  configureModel(d);
  installVsix(d);
  const server = await startCodeServer(d);
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const dialogs = [];
  page.on('dialog', (dlg) => {
    dialogs.push(dlg.message());
    void dlg.dismiss();
  });
  const ref = JSON.parse(fs.readFileSync(path.join(d.workspace, 'fixtures', 'reference.json'), 'utf8'));
  const run = runner(page, results, 'failure');
  try {
    await page.goto(`${server.url}/?folder=${encodeURIComponent(d.workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    await sleep(1500);

    await run('the overlay and the predicted-successor hint are visible in the editor', async () => {
      await openFile(page, 'repeated.txt');
      await page.keyboard.press('Control+A');
      await command(page, 'Induction Lens: Show Induction Attention');
      // Decorations render as elements whose class names carry the decoration type.
      const overlay = page.locator('.editor-group-container .monaco-editor .view-overlays [class*="TextEditorDecorationType"], .editor-group-container .monaco-editor .view-lines [class*="TextEditorDecorationType"]');
      await waitFor('decorations', async () => (await overlay.count()) > 5, 60000);
      await page.keyboard.press('Escape');
      // Hints show on the cursor line: line 2 holds the repeated part of the text.
      await goToLine(page, 2);
      const hints = await waitFor('inlay hint', () => renderedHints(page), 15000).catch(() => []);
      if (hints.length === 0) throw new Error('no predicted-successor hint (→ B) is rendered on the cursor line');
      await page.screenshot({ path: path.join(SHOTS, 'editor-overlay.png') });
    });

    await run('hovering a repeated token shows the induction tooltip', async () => {
      // Hover the centre of a highlighted repeated token: the overlay's background rectangles.
      // (Hint decorations inject text into the lines, so character offsets cannot be mapped from
      // the DOM text; the highlight rectangles sit exactly on the query tokens.)
      const boxes = await page.evaluate(() => [...document.querySelectorAll('.editor-group-container .monaco-editor .view-overlays [class*="TextEditorDecorationType"]')]
        .map((el) => ({ bg: getComputedStyle(el).backgroundColor, r: el.getBoundingClientRect() }))
        .filter((x) => x.bg && x.bg !== 'rgba(0, 0, 0, 0)' && x.r.width > 10)
        .map((x) => ({ x: x.r.left + x.r.width / 2, y: x.r.top + x.r.height / 2 })));
      if (boxes.length === 0) throw new Error('no highlighted token on screen');
      boxes.sort((a, b) => b.y - a.y || a.x - b.x);
      const box = boxes[0];
      await page.mouse.move(box.x, box.y);
      await sleep(200);
      await page.mouse.move(box.x + 1, box.y);
      const hover = page.locator('.monaco-hover:visible');
      await waitFor('hover', async () => (await hover.count()) > 0 && /Induction Lens/.test(await hover.first().innerText()), 15000);
      const text = await hover.first().innerText();
      if (!/Induction: L\dH\d → .+ at \d+:\d+, \d\.\d\d/.test(text)) throw new Error(`hover lacks the induction source: ${text}`);
      if (!/Next token: /.test(text) || !/Loss \d/.test(text)) throw new Error(`hover lacks predictions or loss: ${text}`);
      await sleep(600); // hovers fade in
      await page.screenshot({ path: path.join(SHOTS, 'editor-hover.png') });
      await page.mouse.move(5, 500);
    });

    const frame = panelFrame(page);
    await run('panel Tokens view: hover previews, click locks, the induction source is marked', async () => {
      await waitFor('panel tokens', async () => (await frame.locator('.tok').count()) === ref.analysis.ids.length, 30000);
      const e = [...ref.analysis.events].sort((a, b) => b.attention - a.attention)[0];
      await frame.locator(`.tok[data-i="${e.query}"]`).hover();
      await waitFor('source marked', async () => (await frame.locator('.tok.source').getAttribute('data-i').catch(() => null)) === String(e.source));
      await frame.locator(`.tok[data-i="${e.query}"]`).click();
      await waitFor('locked', async () => (await frame.locator('.tok.locked').count()) === 1);
      // Moving elsewhere no longer changes the focus while locked.
      await frame.locator('.tok[data-i="0"]').hover();
      await sleep(200);
      const src = await frame.locator('.tok.source').getAttribute('data-i');
      if (src !== String(e.source)) throw new Error(`source is ${src}, expected ${e.source}`);
      const info = await frame.locator('#focus').innerText();
      if (!/Induction: L\dH\d attends to/.test(info)) throw new Error(`focus panel: ${info}`);
      await page.screenshot({ path: path.join(SHOTS, 'panel-tokens.png') });
    });

    await run('panel Events view: the events that matter, strongest first; show all; a row locks its token', async () => {
      await frame.locator('vscode-tab-header[data-view="events"]').click();
      const summary = await waitFor('events summary', async () => {
        const t = await frame.locator('p.events-summary').innerText().catch(() => '');
        return /(\d+) of (\d+) induction events matter/.exec(t);
      }, 15000);
      const [matter, total] = [Number(summary[1]), Number(summary[2])];
      if (total !== ref.analysis.events.length) throw new Error(`${total} events, the fixture has ${ref.analysis.events.length}`);
      const rows = frame.locator('tr.event-row');
      if ((await rows.count()) !== Math.min(500, matter)) throw new Error(`${await rows.count()} rows for ${matter} events that matter`);
      // Strongest first: the gain column never increases down the table.
      const gains = (await frame.locator('tr.event-row').evaluateAll((trs) => trs.map((tr) => tr.children[tr.children.length - 2].textContent))).map(Number);
      if (gains.some((g, i) => i > 0 && g > gains[i - 1])) throw new Error(`gains not descending: ${gains.slice(0, 10)}`);
      await page.screenshot({ path: path.join(SHOTS, 'panel-events.png') });
      await frame.locator('#events-show-all').click();
      await waitFor('all rows', async () => (await rows.count()) === Math.min(500, total));
      const q = await rows.nth(0).getAttribute('data-query');
      await rows.nth(0).click();
      await frame.locator('vscode-tab-header[data-view="tokens"]').click();
      await waitFor('token locked', async () => (await frame.locator(`.tok.locked[data-i="${q}"]`).count()) === 1);
      await frame.locator(`.tok[data-i="${q}"]`).click(); // unlock
      await frame.locator('vscode-tab-header[data-view="events"]').click();
      await frame.locator('#events-show-all').click();
      await frame.locator('vscode-tab-header[data-view="tokens"]').click();
    });

    await run('panel Tokens view by keyboard only: Home and arrows move the focus, Enter locks, the accessible name reads the token', async () => {
      await frame.locator('vscode-tab-header[data-view="tokens"]').click();
      await page.mouse.move(5, 500); // no pointer over the tokens: hovering would preview one
      if ((await frame.locator('.tok.locked').count()) > 0) {
        await frame.locator('.tok.locked').focus();
        await page.keyboard.press('Enter');
        await waitFor('unlocked', async () => (await frame.locator('.tok.locked').count()) === 0);
      }
      // The list has one tab stop: the focused token (a roving tabindex).
      const stops = frame.locator('#tokens .tok[tabindex="0"]');
      if ((await stops.count()) !== 1) throw new Error(`${await stops.count()} tokens in the tab order, expected 1`);
      await stops.focus();
      await page.keyboard.press('Home');
      for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Enter');
      await waitFor('locked by keyboard', async () => (await frame.locator('.tok.locked[data-i="3"]').count()) === 1, 5000);
      const tok = frame.locator('.tok[data-i="3"]');
      const active = await frame.locator('#tokens').evaluate(() => document.activeElement?.getAttribute('data-i'));
      if (active !== '3') throw new Error(`keyboard focus on token ${active}, expected 3`);
      if ((await tok.getAttribute('aria-selected')) !== 'true' || (await tok.getAttribute('tabindex')) !== '0') throw new Error('the locked token is not the selected tab stop');
      const visible = ((await tok.textContent()) ?? '').replace(/\r\n|\n|\r/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '·') || '∅';
      const label = (await tok.getAttribute('aria-label')) ?? '';
      if (!label.startsWith(`token '${visible}', position 3, `) || !/next token '.+' \d\.\d\d/.test(label)) throw new Error(`aria-label: ${label}`);
      if ((await frame.locator('#tokens').getAttribute('role')) !== 'listbox' || (await tok.getAttribute('role')) !== 'option') throw new Error('not a listbox of options');
      await page.keyboard.press('Enter'); // unlock again
      await waitFor('unlocked by keyboard', async () => (await frame.locator('.tok.locked').count()) === 0, 5000);
    });

    await run('panel Heads view: clicking a head changes the Pattern view', async () => {
      await frame.locator('vscode-tab-header[data-view="heads"]').click();
      await waitFor('head grid', async () => (await frame.locator('td.head-cell').count()) > 0);
      await page.screenshot({ path: path.join(SHOTS, 'panel-heads.png') });
      await frame.locator('vscode-tab-header[data-view="pattern"]').click();
      const before = await frame.locator('#pattern').evaluate((c) => c.toDataURL());
      const title0 = await frame.locator('#pattern-title').innerText();
      await frame.locator('vscode-tab-header[data-view="heads"]').click();
      await frame.locator('td.head-cell[data-layer="0"][data-head="0"]').first().click();
      await frame.locator('vscode-tab-header[data-view="pattern"]').click();
      await waitFor('new pattern', async () => (await frame.locator('#pattern-title').innerText()).includes('L0H0'));
      const after = await frame.locator('#pattern').evaluate((c) => c.toDataURL());
      if (title0.includes('L0H0') || before === after) throw new Error('the pattern did not change');
      await page.screenshot({ path: path.join(SHOTS, 'panel-pattern.png') });
    });

    await run('panel: ablating the induction heads lowers the successor probability', async () => {
      await frame.locator('vscode-tab-header[data-view="heads"]').click();
      await frame.locator('#ablate-induction').click();
      const effect = await waitFor('ablation effect', async () => {
        const t = await frame.locator('#heads').innerText();
        return /Ablation effect: .*p\(induction successor\) (\d+\.\d+) → (\d+\.\d+)/.exec(t);
      }, 30000);
      const [pBefore, pAfter] = [Number(effect[1]), Number(effect[2])];
      if (!(pAfter < pBefore)) throw new Error(`p(successor) ${pBefore} → ${pAfter} did not drop`);
      await page.screenshot({ path: path.join(SHOTS, 'panel-ablation.png') });
      await frame.locator('#ablate-none').click();
      await waitFor('restored', async () => !(await frame.locator('#heads').innerText()).includes('Ablation effect'), 30000);
    });

    await run(ref.circuits ? 'panel Circuits view shows the three figures and the score tables' : 'panel Circuits view explains why weight-based circuits are hidden for this model', async () => {
      await frame.locator('vscode-tab-header[data-view="circuits"]').click();
      if (!ref.circuits) {
        await waitFor('circuits note', async () => /would only be approximations and are hidden/.test(await frame.locator('#circuits').innerText()), 30000);
        await page.screenshot({ path: path.join(SHOTS, 'panel-circuits.png') });
        await frame.locator('vscode-tab-header[data-view="tokens"]').click();
        return;
      }
      await waitFor('circuits', async () => (await frame.locator('#circuit-prev, #circuit-kcomp, #circuit-ov').count()) === 3, 60000);
      const text = await frame.locator('#circuits').innerText();
      if (!/copying score/.test(text) || !/random baseline/.test(text)) throw new Error(`circuit tables missing: ${text.slice(0, 200)}`);
      // A wider window gives the panel room for the three figures side by side.
      await page.setViewportSize({ width: 2300, height: 1000 });
      await sleep(800);
      await page.screenshot({ path: path.join(SHOTS, 'panel-circuits.png') });
      await page.setViewportSize({ width: 1600, height: 1000 });
      await sleep(300);
      await frame.locator('vscode-tab-header[data-view="tokens"]').click();
    });

    await run('panel Circuits tab: the K-composition test shows the receiver\'s induction score and the text\'s loss before and after, as the CLI computes them', async () => {
      await frame.locator('vscode-tab-header[data-view="circuits"]').click();
      await frame.locator('#path-kcomp').click();
      const re = /induction score (\d+\.\d+) → (\d+\.\d+)[\s\S]*mean loss on the text (\d+\.\d+) → (\d+\.\d+) nats[\s\S]*?(\d+) of the (\d+) painted events disappear/;
      const m = await waitFor('path result', async () => re.exec(await frame.locator('#path-result').innerText().catch(() => '')), 60000);
      // The same test, independently, by the CLI on the same file and model.
      const title = await frame.locator('#path-kcomp').getAttribute('title');
      const [, sender, receiver] = /Sender (L\d+H\d+) .*receiver (L\d+H\d+)/.exec(title);
      const cli = JSON.parse(execFileSync(process.execPath, [path.join(ROOT_DIR, 'dist', 'cli.js'), 'path-ablation', path.join(d.workspace, 'repeated.txt'),
        '--sender', sender, '--receiver', receiver, '--path', 'k', ...(E2E_MODEL ? ['--model', e2eModelDir(d)] : []), '--json'], { encoding: 'utf8' }));
      const want = [cli.receiverInductionScore.before, cli.receiverInductionScore.after, cli.meanLoss.before, cli.meanLoss.after].map((x) => x.toFixed(2));
      if (JSON.stringify(m.slice(1, 5)) !== JSON.stringify(want)) throw new Error(`panel shows ${m.slice(1, 5)}, the CLI computes ${want}`);
      if (!(Number(m[5]) <= Number(m[6]))) throw new Error(`${m[5]} of ${m[6]} events`);
      await page.screenshot({ path: path.join(SHOTS, 'panel-path-test.png') });
      await frame.locator('vscode-tab-header[data-view="tokens"]').click();
    });

    await run('document text with HTML is shown as text in the panel and the hover', async () => {
      await openFile(page, 'markup.html');
      await page.keyboard.press('Control+A');
      await command(page, 'Induction Lens: Show Induction Attention');
      await waitFor('markup tokens', async () => (await frame.locator('#tokens').innerText()).includes('<img src=x onerror=alert(1)>'), 30000);
      const injected = await frame.locator('#tokens img, #tokens script, #focus img').count();
      if (injected) throw new Error('document text became HTML in the panel');
      if (dialogs.length) throw new Error(`a dialog opened: ${dialogs.join(', ')}`);
      await page.screenshot({ path: path.join(SHOTS, 'panel-markup.png') });
    });

    await run('Export JSON suggests <file>-induction.json next to the document', async () => {
      await frame.locator('#export-json').click();
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10000 });
      const value = await waitFor('suggested name', async () => {
        const v = await input.inputValue().catch(() => '');
        return v.includes('induction') ? v : null;
      }, 10000);
      if (!value.endsWith(`${path.basename(d.workspace)}/markup-induction.json`)) throw new Error(`suggested ${value}`);
      await page.keyboard.press('Escape');
    });

    await run('Select Model lists the bundled model, the configured folders and a folder picker, with their sizes', async () => {
      await page.click('.editor-group-container.active .monaco-editor .view-lines').catch(() => undefined);
      await command(page, 'Induction Lens: Select Model');
      const list = page.locator('.quick-input-list');
      await waitFor('model list', async () => /Choose a model folder/.test(await list.innerText().catch(() => '')), 15000);
      const text = await list.innerText();
      if (!/attn-only-2l/.test(text) || !/bundled with the extension/.test(text)) throw new Error(`no bundled model: ${text}`);
      if (!/2 layers × 8 heads, context 512/.test(text)) throw new Error(`no model sizes: ${text}`);
      if (E2E_MODEL && !new RegExp(`${E2E_MODEL}[\\s\\S]*2 layers × 4 heads, context 256`).test(text)) throw new Error(`configured model missing: ${text}`);
      await page.screenshot({ path: path.join(SHOTS, 'select-model.png') });
      await page.keyboard.press('Escape');
    });
  } finally {
    await page.close();
    server.stop();
  }
  return results;
}

function tokenStartOffset(ref, i) {
  // Token spans from the fixture: the fixture text is ASCII, so summing token text lengths works;
  // computed independently of the extension from the Python tokenizer's ids via the panel text.
  return ref.__starts ? ref.__starts[i] : startsFromIds(ref)[i];
}

function startsFromIds(ref) {
  const tok = JSON.parse(fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'media', 'models', 'attn-only-2l', 'tokenizer.json'), 'utf8'));
  const byId = new Map(Object.entries(tok.model.vocab).map(([k, v]) => [v, k]));
  const starts = [];
  let off = 0;
  for (const id of ref.analysis.ids) {
    starts.push(off);
    off += byId.get(id).length; // ASCII text: one character per byte
  }
  ref.__starts = starts;
  return starts;
}
