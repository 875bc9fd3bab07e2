// The editor overlay's attention highlights (package.json `inductionLens.attention1..5`) must keep
// text readable in VS Code's default themes: on every highlight level the editor foreground keeps a
// WCAG 2 contrast of at least 4.5:1 and every syntax colour of the theme at least 3:1. The themes
// are the real ones of VS Code 1.100.3, which scripts/ci/setup-e2e.sh installs with code-server.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/fixtures';

const THEME_EXT = path.join(ROOT, '.e2e', 'tools', 'node_modules', 'code-server', 'lib', 'vscode', 'extensions', 'theme-defaults');
const BUCKETS = 5;
const FG_MIN = 4.5;
const SYNTAX_MIN = 3;
/** A syntax colour the theme itself puts below 3:1 on its plain background (e.g. dark_vs's navy
 * `header` #000080 on #1F1F1F, 1.03:1) cannot be held to 3:1 by us; instead our highlight may lower
 * its contrast by at most this factor, no more than the 3:1 rule lets the other colours lose. */
const EXEMPT_MAX_LOSS = 1.2;
/** Just-noticeable colour difference (CIE76 ΔE): bucket 1 must differ at least this much from the background. */
const JND = 2.3;

type Kind = 'dark' | 'light' | 'highContrast' | 'highContrastLight';
const KIND_OF_UI_THEME: Record<string, Kind> = { 'vs-dark': 'dark', vs: 'light', 'hc-black': 'highContrast', 'hc-light': 'highContrastLight' };
/** The default themes of the issue, by their id in theme-defaults/package.json. */
const THEME_IDS = ['Default Dark Modern', 'Default Light Modern', 'Default High Contrast', 'Default High Contrast Light'];
/** VS Code 1.100.3's registered defaults (src/vs/platform/theme/common/colors/editorColors.ts and
 * baseColors.ts, as bundled in code-server's out/vs/code/browser/workbench/workbench.js), used where a
 * theme omits the colour: editor.background {light #ffffff, dark #1E1E1E, hcDark #000000, hcLight
 * #ffffff}; editor.foreground {light #333333, dark #BBBBBB, hcDark #ffffff, hcLight: `foreground`},
 * `foreground` for hcLight being #292929. hc_light.json sets neither, so it relies on these. */
const DEFAULT_BG: Record<Kind, string> = { dark: '#1E1E1E', light: '#ffffff', highContrast: '#000000', highContrastLight: '#ffffff' };
const DEFAULT_FG: Record<Kind, string> = { dark: '#BBBBBB', light: '#333333', highContrast: '#ffffff', highContrastLight: '#292929' };

/** JSON with comments and trailing commas (VS Code's theme format) to JSON; strings are left alone. */
function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
      out += ' ';
    } else out += c;
  }
  // Trailing commas, now that no comment can sit between the comma and the bracket.
  let json = '';
  for (let i = 0; i < out.length; i++) {
    const c = out[i];
    if (c === '"') {
      let j = i + 1;
      while (j < out.length && out[j] !== '"') j += out[j] === '\\' ? 2 : 1;
      json += out.slice(i, j + 1);
      i = j;
    } else if (c === ',' && /^\s*[}\]]/.test(out.slice(i + 1, i + 200))) continue;
    else json += c;
  }
  return JSON.parse(json);
}

interface TokenRule { scope?: string | string[]; settings?: { foreground?: string } }
interface ThemeFile { name?: string; include?: string; colors?: Record<string, string>; tokenColors?: TokenRule[] | string; semanticTokenColors?: Record<string, string | { foreground?: string } | boolean> }
interface Theme { colors: Record<string, string>; tokenFg: Map<string, string>; semanticFg: Map<string, string> }

/** A theme file with its `include` chain resolved the way VS Code does: included rules first, the
 * including theme's colours and rules over them. Token colours are kept per scope selector so a
 * colour that a later rule overrides everywhere it applied is not counted. */
function loadTheme(file: string): Theme {
  const j = parseJsonc(fs.readFileSync(file, 'utf8')) as ThemeFile;
  const base: Theme = j.include ? loadTheme(path.resolve(path.dirname(file), j.include)) : { colors: {}, tokenFg: new Map(), semanticFg: new Map() };
  const colors = { ...base.colors, ...(j.colors ?? {}) };
  const tokenFg = new Map(base.tokenFg);
  assert.ok(j.tokenColors === undefined || Array.isArray(j.tokenColors), `${file}: tokenColors from a .tmTheme file is not supported here`);
  for (const rule of j.tokenColors ?? []) {
    const fg = rule.settings?.foreground;
    if (!fg) continue;
    const scopes = rule.scope === undefined ? [''] : Array.isArray(rule.scope) ? rule.scope : rule.scope.split(',');
    for (const s of scopes) tokenFg.set(s.trim(), fg);
  }
  const semanticFg = new Map(base.semanticFg);
  for (const [sel, v] of Object.entries(j.semanticTokenColors ?? {})) {
    const fg = typeof v === 'string' ? v : typeof v === 'object' ? v.foreground : undefined;
    if (fg) semanticFg.set(sel, fg);
  }
  return { colors, tokenFg, semanticFg };
}

type Rgba = [number, number, number, number];
function parseHex(hex: string): Rgba {
  let h = hex.replace(/^#/, '');
  assert.match(h, /^([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i, `not a hex colour: ${hex}`);
  if (h.length <= 4) h = [...h].map((c) => c + c).join('');
  const ch = (i: number) => (i < h.length ? parseInt(h.slice(i, i + 2), 16) / 255 : 1);
  return [ch(0), ch(2), ch(4), ch(6)];
}
/** `top` drawn over an opaque `bottom`, blended in sRGB as the browser does for CSS backgrounds. */
function over(top: Rgba, bottom: Rgba): Rgba {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1) as Rgba;
}
const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
/** WCAG 2 relative luminance. */
const luminance = (c: Rgba) => 0.2126 * linear(c[0]) + 0.7152 * linear(c[1]) + 0.0722 * linear(c[2]);
/** WCAG 2 contrast ratio of two opaque colours. */
function contrast(a: Rgba, b: Rgba): number {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}
/** CIE76 colour difference (CIELAB, D65), for "can the buckets be told apart". */
function deltaE(a: Rgba, b: Rgba): number {
  const lab = (c: Rgba) => {
    const [r, g, bl] = [linear(c[0]), linear(c[1]), linear(c[2])];
    const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
    const fx = f((0.4124 * r + 0.3576 * g + 0.1805 * bl) / 0.95047);
    const fy = f(0.2126 * r + 0.7152 * g + 0.0722 * bl);
    const fz = f((0.0193 * r + 0.1192 * g + 0.9505 * bl) / 1.08883);
    return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
  };
  const [p, q] = [lab(a), lab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

interface DefaultTheme { id: string; kind: Kind; bg: Rgba; fg: Rgba; bgHex: string; fgHex: string; syntax: string[] }
function defaultThemes(): DefaultTheme[] {
  const manifest = path.join(THEME_EXT, 'package.json');
  assert.ok(fs.existsSync(manifest), `VS Code's default themes are missing (${THEME_EXT}): run bash scripts/ci/setup-e2e.sh`);
  const contributed = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { contributes: { themes: { id: string; uiTheme: string; path: string }[] } }).contributes.themes;
  return THEME_IDS.map((id) => {
    const entry = contributed.find((t) => t.id === id);
    assert.ok(entry, `theme ${id} not in ${manifest}`);
    const kind = KIND_OF_UI_THEME[entry.uiTheme];
    const theme = loadTheme(path.join(THEME_EXT, entry.path));
    const bgHex = theme.colors['editor.background'] ?? DEFAULT_BG[kind];
    const fgHex = theme.colors['editor.foreground'] ?? (kind === 'highContrastLight' ? theme.colors['foreground'] : undefined) ?? DEFAULT_FG[kind];
    const syntax = [...new Set([...theme.tokenFg.values(), ...theme.semanticFg.values()].map((c) => c.toLowerCase()))].sort();
    // The background is opaque in these themes; were it not, it would be drawn over the workbench's.
    return { id, kind, bg: over(parseHex(bgHex), [0, 0, 0, 1]), fg: parseHex(fgHex), bgHex, fgHex, syntax };
  });
}

function attentionColours(): Record<Kind, string>[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { colors: { id: string; defaults: Record<Kind, string> }[] } };
  return Array.from({ length: BUCKETS }, (_, i) => {
    const c = pkg.contributes.colors.find((x) => x.id === `inductionLens.attention${i + 1}`);
    assert.ok(c, `package.json declares no inductionLens.attention${i + 1}`);
    return c.defaults;
  });
}

/** Contrast of a (possibly translucent) text colour drawn over an opaque background. */
const textContrast = (text: Rgba, bg: Rgba) => contrast(over(text, bg), bg);

/** The quick loop (`npm run test:unit`) may run before code-server is installed; `npm test`
 *  always installs it first, so there these tests always run. */
const THEMES = fs.existsSync(THEME_EXT) ? {} : { skip: `VS Code's default themes are not installed (bash scripts/ci/setup-e2e.sh installs them)` };

test('attention highlights keep the editor foreground at 4.5:1 and syntax colours at 3:1 in the default themes', THEMES, () => {
  const themes = defaultThemes();
  const attention = attentionColours();
  const problems: string[] = [];
  const rows: string[] = [];
  const version = (JSON.parse(fs.readFileSync(path.join(THEME_EXT, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  rows.push(`WCAG contrast on the attention highlights, VS Code ${version} default themes (min syntax: lowest of the colours at >= 3:1 unhighlighted)`);
  rows.push(`  ${'bucket'.padEnd(6)} ${'highlight'.padEnd(10)} ${'editor fg'.padStart(9)}  ${'min syntax'.padStart(10)} colour   ${'dE'.padStart(5)}`);
  for (const t of themes) {
    const plain = new Map(t.syntax.map((s) => [s, textContrast(parseHex(s), t.bg)]));
    const exempt = t.syntax.filter((s) => plain.get(s)! < SYNTAX_MIN);
    for (let b = 0; b <= BUCKETS; b++) {
      const hl = b === 0 ? undefined : attention[b - 1][t.kind];
      const bg = hl ? over(parseHex(hl), t.bg) : t.bg;
      const fg = textContrast(t.fg, bg);
      let min = Infinity;
      let minColour = '';
      for (const s of t.syntax) {
        const c = textContrast(parseHex(s), bg);
        const c0 = plain.get(s)!;
        if (c0 >= SYNTAX_MIN) {
          if (c < min) [min, minColour] = [c, s];
          if (c < SYNTAX_MIN) problems.push(`${t.id}, bucket ${b}: syntax colour ${s} at ${c.toFixed(2)}:1 on ${hl}`);
        } else if (c < c0 / EXEMPT_MAX_LOSS) {
          problems.push(`${t.id}, bucket ${b}: syntax colour ${s} (theme's own ${c0.toFixed(2)}:1) drops to ${c.toFixed(2)}:1 on ${hl}`);
        }
      }
      if (fg < FG_MIN) problems.push(`${t.id}, bucket ${b}: editor foreground ${t.fgHex} at ${fg.toFixed(2)}:1 on ${hl}`);
      if (b === 0) rows.push(`${t.id} (${t.kind}): editor.background ${t.bgHex}, editor.foreground ${t.fgHex}, ${t.syntax.length} syntax colours`);
      rows.push(`  ${(b === 0 ? 'none' : String(b)).padEnd(6)} ${(hl ?? t.bgHex).padEnd(10)} ${fg.toFixed(2).padStart(9)}  ${min.toFixed(2).padStart(10)} ${minColour}  ${deltaE(bg, t.bg).toFixed(1).padStart(5)}`);
    }
    if (exempt.length) {
      rows.push(`  exempt (below ${SYNTAX_MIN}:1 in the theme itself; may lose at most x${EXEMPT_MAX_LOSS}): ` +
        exempt.map((s) => `${s} ${plain.get(s)!.toFixed(2)} -> ${Math.min(...attention.map((a) => textContrast(parseHex(s), over(parseHex(a[t.kind]), t.bg)))).toFixed(2)}`).join(', '));
    }
  }
  console.log(rows.join('\n'));
  assert.deepEqual(problems, []);
});

test('attention highlights get stronger from bucket 1 to 5, and bucket 1 is visible', THEMES, () => {
  const themes = defaultThemes();
  const attention = attentionColours();
  for (const t of themes) {
    const hl = attention.map((a) => parseHex(a[t.kind]));
    const composed = hl.map((c) => over(c, t.bg));
    const lumDiff = composed.map((c) => Math.abs(luminance(c) - luminance(t.bg)));
    const dE = composed.map((c) => deltaE(c, t.bg));
    assert.ok(dE[0] >= JND, `${t.id}: bucket 1 (${attention[0][t.kind]}) is invisible, ΔE ${dE[0].toFixed(2)} from the background`);
    for (let b = 1; b < BUCKETS; b++) {
      const sameHue = hl[b].slice(0, 3).every((v, i) => v === hl[b - 1][i]);
      const stronger = (sameHue && hl[b][3] > hl[b - 1][3]) || lumDiff[b] > lumDiff[b - 1];
      assert.ok(stronger, `${t.id}: bucket ${b + 1} (${attention[b][t.kind]}) is not stronger than bucket ${b} (${attention[b - 1][t.kind]})`);
      assert.ok(dE[b] > dE[b - 1], `${t.id}: bucket ${b + 1} is no further from the background than bucket ${b} (ΔE ${dE[b].toFixed(2)} <= ${dE[b - 1].toFixed(2)})`);
    }
  }
});

test('theme files are read as JSON with comments and trailing commas', () => {
  const text = '{\n  // a comment\n  "$schema": "vscode://schemas/color-theme", /* block\n comment */\n  "colors": { "a": "#fff", "b": "x\\"//y", },\n  "list": [1, 2, /* c */ ],\n}\n';
  assert.deepEqual(parseJsonc(text), { $schema: 'vscode://schemas/color-theme', colors: { a: '#fff', b: 'x"//y' }, list: [1, 2] });
});
