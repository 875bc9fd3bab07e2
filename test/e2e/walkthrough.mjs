// The Get Started walkthrough (contributes.walkthroughs) in a brand-new VS Code: a fresh profile
// that starts on the Welcome page, the packaged VSIX installed, nothing configured. Driven as a
// new user would: find the walkthrough on the Welcome page, follow its steps with their buttons.
// The walkthrough is VS Code's getting-started editor (DOM, not a webview): `.gettingStartedContainer`,
// its Welcome page slide `.gettingStartedSlideCategories` (one `.getting-started-category` per
// walkthrough, `x-dispatch="selectCategory:<extension id>#<walkthrough id>"`) and its walkthrough
// slide `.gettingStartedSlideDetails` (`h2.category-title`, one `button.getting-started-step` per
// step with `data-step-id="<extension id>#<walkthrough id>#<step id>"`, `aria-checked` and a
// `codicon-getting-started-step-checked` icon once done, a step's command links as
// `.button-container .monaco-button`, the step's markdown media in a webview `.getting-started-media`).
import * as fs from 'fs';
import * as path from 'path';
import { installVsix, makeWorkspace, SHOTS, startCodeServer } from './harness.mjs';
import { command, runner, waitFor } from './ui.mjs';

const ROOT_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// package.json as VS Code shows it: its %key% strings filled in from package.nls.json.
const NLS = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'package.nls.json'), 'utf8'));
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8'), (_, v) => (typeof v === 'string' && /^%[\w.-]+%$/.test(v) ? NLS[v.slice(1, -1)] : v));
const EXTENSION_ID = `${PKG.publisher}.${PKG.name}`;
const WALKTHROUGH = PKG.contributes.walkthroughs.find((w) => w.id === 'inductionLens.gettingStarted');
const CATEGORY_ID = `${EXTENSION_ID}#${WALKTHROUGH.id}`;
const STEP_ID = (step) => `${CATEGORY_ID}#${step}`;

const CONTAINER = '.gettingStartedContainer';
const DETAILS = `${CONTAINER} .gettingStartedSlideDetails`;
const DECORATIONS = '.editor-group-container .monaco-editor .view-overlays [class*="TextEditorDecorationType"], .editor-group-container .monaco-editor .view-lines [class*="TextEditorDecorationType"]';

/** The step's button in the walkthrough. */
function stepLocator(page, step) {
  return page.locator(`${DETAILS} .getting-started-step[data-step-id="${STEP_ID(step)}"]`);
}

/** Expands a step as a user does, by clicking its title. The walkthrough focuses the step a
 *  moment after the click (after its expand animation); a quick pick opened before that closes
 *  again as it loses focus, so wait for the step to hold the focus. */
async function selectStep(page, step) {
  const el = stepLocator(page, step);
  await el.locator('h3.step-title').click();
  await waitFor(`step ${step} expanded and focused`, () => el.evaluate((e) => e.classList.contains('expanded') && document.activeElement === e), 5000).catch(() => undefined);
  await sleep(400);
  return el;
}

/** Whether VS Code shows the step as done: the checkbox codicon and aria-checked. */
async function stepDone(page, step) {
  return stepLocator(page, step).evaluate((e) => e.getAttribute('aria-checked') === 'true'
    && !!e.querySelector(':scope > .codicon.codicon-getting-started-step-checked'));
}

/** The walkthrough's title and step titles as rendered. */
async function walkthroughShown(page) {
  const title = await page.locator(`${DETAILS} h2.category-title`).innerText({ timeout: 10000 });
  const steps = await page.locator(`${DETAILS} .getting-started-step[data-step-id] h3.step-title`).allInnerTexts();
  return { title: title.trim(), steps: steps.map((s) => s.trim()) };
}

async function tabLabels(page) {
  return page.locator('.tab').evaluateAll((els) => els.map((e) => ({ label: e.getAttribute('aria-label') ?? '', active: e.classList.contains('active') })));
}

/** Visible notification toasts: their text and level (info, warning, error; progress is info). */
async function toasts(page) {
  return page.locator('.notification-toast').evaluateAll((els) => els.map((e) => ({
    text: e.innerText.replace(/\s+/g, ' ').trim(),
    level: e.querySelector('.notification-list-item-icon.codicon-error') ? 'error' : e.querySelector('.notification-list-item-icon.codicon-warning') ? 'warning' : 'info',
  })));
}

/** The status bar's event count, shown for an analyzed active editor ("57 of 130 events"). */
async function eventsLabel(page) {
  const t = await page.locator('.statusbar-item', { hasText: /events/ }).first().innerText({ timeout: 500 }).catch(() => '');
  return /\d+ of \d+ events/.exec(t)?.[0] ?? null;
}

/** Brings the sample's editor forward and shows its first lines (where the repeats start). */
async function showSampleTop(page) {
  await focusTab(page, 'Untitled-');
  await page.click('.editor-group-container.active .monaco-editor .view-lines');
  await page.keyboard.press('Control+Home');
  await sleep(300);
}

/** The first rendered line of the active editor (lines by position; spaces as rendered). */
async function firstLine(page) {
  return page.evaluate(() => {
    const lines = [...document.querySelectorAll('.editor-group-container.active .monaco-editor .view-lines .view-line')]
      .map((el) => ({ top: el.getBoundingClientRect().top, text: el.textContent.replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top);
    return lines[0]?.text ?? null;
  });
}

/** The extension's panel (not the walkthrough's media webview): nested iframes. */
function panelFrame(page) {
  return page.frameLocator(`iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]`).frameLocator('#active-frame');
}

/** Clicks the editor tab whose label has `label` (an untitled editor's label starts with its
 *  first line and ends with `Untitled-N`). */
async function focusTab(page, label) {
  await page.locator(`.tab[aria-label*="${label}"]`).first().click({ timeout: 10000 });
}

export async function walkthroughTests(browser) {
  const results = [];
  // A brand-new VS Code: the Welcome page on startup (the harness's profiles start with none).
  // No git prompt: the run folders sit inside this repository.
  const d = makeWorkspace('walkthrough', { 'workbench.startupEditor': 'welcomePage', 'git.openRepositoryInParentFolders': 'never' });
  installVsix(d);
  const server = await startCodeServer(d);
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const sample = fs.readFileSync(path.join(ROOT_DIR, 'samples', 'identifiers.py'), 'utf8');
  const circuits = !!JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'test', 'fixtures', 'attn-only-2l', 'reference.json'), 'utf8')).circuits;
  const run = runner(page, results, 'failure-walkthrough');
  const overlay = page.locator(DECORATIONS);
  try {
    await page.goto(`${server.url}/?folder=${encodeURIComponent(d.workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });

    await run('walkthrough: a fresh profile\'s Welcome page lists "Get Started with Induction Lens"; it opens with its title, description and four steps', async () => {
      // A first start shows VS Code's own Setup walkthrough; its back link leads to the Welcome page.
      await page.waitForSelector(CONTAINER, { state: 'visible', timeout: 30000 });
      const back = page.locator(`${DETAILS} .prev-button`);
      if (await back.isVisible()) await back.click();
      const entry = page.locator(`${CONTAINER} .gettingStartedSlideCategories .getting-started-category[x-dispatch="selectCategory:${CATEGORY_ID}"]`);
      let listed = true;
      try {
        await entry.waitFor({ state: 'visible', timeout: 20000 });
        const text = await entry.innerText();
        if (!text.includes(WALKTHROUGH.title)) throw new Error(`the Welcome page entry reads ${JSON.stringify(text)}`);
        await entry.click();
      } catch (e) {
        // Not on the Welcome page: open it from the Command Palette, so the steps below still run.
        listed = e;
        await command(page, 'Welcome: Open Walkthrough...');
        const row = page.locator(`.quick-input-list .monaco-list-row[aria-label*="${WALKTHROUGH.title}"]`);
        await row.waitFor({ state: 'visible', timeout: 15000 });
        await row.click();
      }
      const shown = await waitFor('the walkthrough', async () => {
        const s = await walkthroughShown(page).catch(() => null);
        return s?.title === WALKTHROUGH.title && s.steps.length === WALKTHROUGH.steps.length ? s : null;
      }, 15000).catch(async () => walkthroughShown(page));
      const want = { title: WALKTHROUGH.title, steps: WALKTHROUGH.steps.map((s) => s.title) };
      if (want.steps.length !== 4) throw new Error(`package.json has ${want.steps.length} steps`);
      if (JSON.stringify(shown) !== JSON.stringify(want)) throw new Error(`the walkthrough shows ${JSON.stringify(shown)}, expected ${JSON.stringify(want)}`);
      const description = await page.locator(`${DETAILS} .category-description`).innerText();
      if (description.trim() !== WALKTHROUGH.description) throw new Error(`description: ${description}`);
      const tab = (await tabLabels(page)).find((t) => t.active);
      if (!tab?.label.startsWith(`Walkthrough: ${PKG.displayName}`)) throw new Error(`active tab: ${JSON.stringify(tab)}`);
      for (const s of WALKTHROUGH.steps) if (await stepDone(page, s.id)) throw new Error(`step ${s.id} is done on a fresh profile`);
      if (listed !== true) throw new Error(`the walkthrough is not listed on the Welcome page (opened from the Command Palette instead): ${listed.message}`);
    });

    await run('walkthrough step 1 "Open a sample": the button\'s quick pick opens identifiers.py as an untitled editor, the step shows done', async () => {
      const step = await selectStep(page, 'openSample');
      // The step's markdown media renders beside the steps.
      const media = page.frameLocator(`${CONTAINER} .getting-started-media iframe.webview`).frameLocator('#active-frame');
      await waitFor('the step\'s media', async () => /Induction Lens ships three short texts/.test(await media.locator('body').innerText({ timeout: 1000 }).catch(() => '')), 15000);
      await page.mouse.move(5, 500);
      await sleep(300);
      await page.screenshot({ path: path.join(SHOTS, 'walkthrough.png') });
      await step.locator('.button-container .monaco-button', { hasText: 'Open a Sample' }).click();
      const title = page.locator('.quick-input-widget .quick-input-title');
      await waitFor('the sample quick pick', async () => (await title.isVisible()) && (await title.innerText()).includes('Open a Sample'), 15000);
      const labels = await page.locator('.quick-input-list .monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
      for (const f of ['random-words.txt', 'identifiers.py', 'markup.html']) if (!labels.some((l) => l?.startsWith(f))) throw new Error(`the quick pick lacks ${f}: ${labels}`);
      await page.locator('.quick-input-list .monaco-list-row[aria-label^="identifiers.py"]').click();
      await waitFor('an untitled editor', async () => (await tabLabels(page)).some((t) => t.active && /Untitled-\d/.test(t.label)), 15000);
      const want = sample.split('\n')[0];
      const got = await waitFor('the sample text', async () => ((await firstLine(page)) === want ? want : null), 10000).catch(() => firstLine(page));
      if (got !== want) throw new Error(`the untitled editor starts with ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      const language = await page.locator('.statusbar-item[id="status.editor.mode"]').innerText().catch(() => '');
      if (!/Python/.test(language)) throw new Error(`language mode: ${JSON.stringify(language)}`);
      // Back on the walkthrough the step is checked.
      await focusTab(page, 'Walkthrough:');
      await waitFor('step 1 done', () => stepDone(page, 'openSample'), 10000);
    });

    await run('walkthrough step 2 "Show Induction Attention" button, the sample selected: the overlay appears on the sample', async () => {
      await focusTab(page, 'Untitled-');
      await page.click('.editor-group-container.active .monaco-editor .view-lines');
      await page.keyboard.press('Control+A');
      await focusTab(page, 'Walkthrough:');
      const step = await selectStep(page, 'runCommand');
      // VS Code runs a step's `command:` link with the walkthrough as the active editor (a
      // `command:toSide:` link activates the editor group beside the walkthrough first).
      await step.locator('.button-container .monaco-button', { hasText: 'Show Induction Attention' }).click();
      // The analysis (the first one loads the model) or the extension's refusal.
      const outcome = await waitFor('the analysis or a refusal', async () => {
        if ((await overlay.count()) > 0 || (await eventsLabel(page))) return { analyzed: true };
        const refusal = (await toasts(page)).find((t) => t.level !== 'info' && /Induction Lens/.test(t.text));
        return refusal ? { refusal: refusal.text } : null;
      }, 60000);
      if (outcome.refusal) {
        throw new Error(`the button ran the command with the walkthrough as the active editor, and the extension answered "${outcome.refusal}" `
          + `(the step ${(await stepDone(page, 'runCommand')) ? 'is marked done anyway' : 'is not marked done'})`);
      }
      await showSampleTop(page);
      await waitFor('decorations on the sample', async () => (await overlay.count()) > 5, 15000);
    });

    await run('walkthrough step 2 as its text says (select, Ctrl+Alt+I): the overlay appears on the sample, the step shows done', async () => {
      if ((await toasts(page)).some((t) => t.level !== 'info')) await command(page, 'Notifications: Clear All Notifications');
      await showSampleTop(page);
      if ((await overlay.count()) > 0 || (await eventsLabel(page))) {
        await command(page, 'Induction Lens: Clear');
        await waitFor('overlay cleared', async () => (await overlay.count()) === 0 && !(await eventsLabel(page)), 10000);
        await showSampleTop(page);
      }
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Control+Alt+I');
      await waitFor('the analysis', () => eventsLabel(page), 60000);
      await showSampleTop(page);
      await waitFor('decorations on the sample', async () => (await overlay.count()) > 5, 15000);
      await focusTab(page, 'Walkthrough:');
      await waitFor('step 2 done', () => stepDone(page, 'runCommand'), 10000);
    });

    await run('walkthrough step 3 "Show Hover at Cursor" button, the cursor on a highlighted token: the sample comes forward with the token\'s hover, the step shows done', async () => {
      await showSampleTop(page);
      // The cursor on the first highlighted token on screen (the overlay's rectangles sit on the tokens).
      const box = await waitFor('a highlighted token', () => page.evaluate((sel) => [...document.querySelectorAll(sel)]
        .map((el) => ({ bg: getComputedStyle(el).backgroundColor, r: el.getBoundingClientRect() }))
        .filter((x) => x.bg && x.bg !== 'rgba(0, 0, 0, 0)' && x.r.width > 6 && x.r.top > 0)
        .map((x) => ({ x: x.r.left + x.r.width / 2, y: x.r.top + x.r.height / 2 }))[0], DECORATIONS.split(', ')[0]), 15000);
      await page.mouse.click(box.x, box.y);
      await page.mouse.move(5, 500);
      await focusTab(page, 'Walkthrough:');
      const step = await selectStep(page, 'readHover');
      await step.locator('.button-container .monaco-button', { hasText: 'Show Hover at Cursor' }).click();
      const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'Induction Lens' });
      const text = await waitFor('the hover at the cursor', async () => ((await hover.count()) ? hover.first().innerText() : null), 20000);
      if (!/Induction: L\dH\d → /.test(text)) throw new Error(`the hover lacks the token's induction source: ${text.slice(0, 300)}`);
      await page.screenshot({ path: path.join(SHOTS, 'walkthrough-hover.png') });
      await page.keyboard.press('Escape');
      await focusTab(page, 'Walkthrough:');
      await waitFor('step 3 done', () => stepDone(page, 'readHover'), 10000);
    });

    await run('walkthrough step 4 "Show Panel": the Induction Lens panel opens with the sample, its Circuits tab shows the circuit, the step shows done', async () => {
      // Running the command opened the panel (inductionLens.openPanel): close it, as a user may have.
      const panelTab = page.locator('.tab[aria-label^="Induction Lens"]');
      if (await panelTab.count()) {
        await panelTab.first().hover();
        await panelTab.first().locator('.codicon-close').click();
        await waitFor('panel closed', async () => (await panelTab.count()) === 0, 10000);
        // As a user would, not in the same instant: a webview opened while the closed one's frame
        // is being torn down can come up without its scripts and styles (seen once in code-server).
        await sleep(1000);
      }
      await focusTab(page, 'Walkthrough:');
      const step = await selectStep(page, 'openCircuits');
      await step.locator('.button-container .monaco-button', { hasText: 'Show Panel' }).click();
      await waitFor('the panel\'s tab', async () => (await panelTab.count()) === 1, 15000);
      const frame = panelFrame(page);
      const sampleTokens = frame.locator('#tokens .tok');
      await waitFor('the sample in the panel', async () => (await sampleTokens.count()) > 20
        && (await frame.locator('#tokens').innerText()).includes('moving_average'), 30000).catch(async (e) => {
        // Say whether the page's own files loaded (styles applied, custom elements defined).
        const page_ = await frame.locator('body').evaluate(() => ({ styled: getComputedStyle(document.querySelector('.bar')).display === 'flex', elements: !!customElements.get('vscode-tabs') })).catch((x) => String(x));
        throw new Error(`${e.message}; the panel's page: ${JSON.stringify(page_)}`);
      });
      await frame.locator('vscode-tab-header[data-view="circuits"]').click();
      if (circuits) await waitFor('circuit figures', async () => (await frame.locator('#circuit-prev, #circuit-kcomp, #circuit-ov').count()) === 3, 60000);
      else await waitFor('circuits note', async () => /hidden/.test(await frame.locator('#circuits').innerText()), 30000);
      await waitFor('step 4 done', () => stepDone(page, 'openCircuits'), 10000);
      await focusTab(page, 'Walkthrough:');
      await page.mouse.move(5, 500);
      await sleep(500);
      await page.screenshot({ path: path.join(SHOTS, 'walkthrough-progress.png') });
    });

    await run('walkthrough: "Welcome: Open Walkthrough..." offers it and opens it', async () => {
      await focusTab(page, 'Walkthrough:');
      await command(page, 'Welcome: Open Walkthrough...');
      const row = page.locator(`.quick-input-list .monaco-list-row[aria-label*="${WALKTHROUGH.title}"]`);
      await row.waitFor({ state: 'visible', timeout: 15000 });
      await row.click();
      await waitFor('the walkthrough', async () => (await walkthroughShown(page).catch(() => null))?.title === WALKTHROUGH.title, 15000);
    });
  } finally {
    await page.close();
    server.stop();
  }
  return results;
}
