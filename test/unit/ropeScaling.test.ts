// Rotary inverse frequencies of real configs (and patched ones) against
// test/fixtures/rope/inv_freq.json, written by training/rope_reference.py and checked against
// transformers itself; and the rotary scalings the parser refuses, by name.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseHfConfig } from '../../src/engine/hf/config';
import { inverseFrequencies } from '../../src/engine/hf/ropeScaling';
import { EngineError } from '../../src/engine/errors';
import { ROOT } from '../support/fixtures';

interface RopeCase {
  config: string;
  patch: Record<string, unknown> | null;
  layerType: 'full_attention' | 'sliding_attention';
  type: string;
  invFreq: number[];
  attentionFactor: number;
}

const CONFIG_DIR = path.join(ROOT, 'test', 'fixtures', 'configs');
const readConfig = (file: string): Record<string, any> => JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, file), 'utf8'));
const CASES: RopeCase[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'rope', 'inv_freq.json'), 'utf8'));

const ABS = 1e-6;
const REL = 1e-6;

test('inv_freq.json holds the cases this file expects', () => {
  assert.ok(CASES.length >= 8, `${CASES.length} cases`);
  const types = new Set(CASES.map((c) => c.type));
  for (const t of ['default', 'linear', 'dynamic', 'llama3', 'yarn', 'longrope']) assert.ok(types.has(t), `a ${t} case`);
  assert.ok(CASES.some((c) => c.layerType === 'sliding_attention'), 'a sliding-layer case');
});

for (const c of CASES) {
  const patch = c.patch ? ` + ${JSON.stringify(c.patch)}` : '';
  test(`rotary ${c.type}: ${c.config}${patch} (${c.layerType})`, () => {
    const raw = { ...readConfig(c.config), ...(c.patch ?? {}) };
    const spec = parseHfConfig(raw, c.config);
    assert.ok(spec.rope, 'a rotary model');
    const params = c.layerType === 'sliding_attention' && spec.rope.local ? spec.rope.local : spec.rope.global;
    assert.equal(params.type, c.type, 'rope type');
    assert.equal(spec.rope.dims / 2, c.invFreq.length, 'number of frequencies');
    const { invFreq, attentionFactor } = inverseFrequencies(params, spec.rope.dims);
    assert.equal(invFreq.length, c.invFreq.length);
    for (let i = 0; i < c.invFreq.length; i++) {
      const want = c.invFreq[i];
      const got = invFreq[i];
      const diff = Math.abs(got - want);
      assert.ok(diff <= ABS, `inv_freq[${i}]: ${got} vs ${want} (absolute difference ${diff})`);
      assert.ok(diff <= REL * Math.abs(want), `inv_freq[${i}]: ${got} vs ${want} (relative difference ${diff / Math.abs(want)})`);
    }
    assert.ok(Math.abs(attentionFactor - c.attentionFactor) <= 1e-9, `attention factor ${attentionFactor} vs ${c.attentionFactor}`);
  });
}

/** parseHfConfig throws an EngineError naming the file and matching `message`. */
function refused(raw: Record<string, unknown>, message: RegExp) {
  assert.throws(() => parseHfConfig(raw, 'config.json'), (e: unknown) => {
    assert.ok(e instanceof EngineError, `expected an EngineError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.match(e.message, /config\.json/);
    assert.match(e.message, message);
    return true;
  });
}

test('refused: an unknown rope type, named in the message (rope_type or legacy type)', () => {
  refused({ ...readConfig('tinyllama-1.1b.json'), rope_scaling: { rope_type: 'fancy_ntk', factor: 2 } }, /fancy_ntk/);
  refused({ ...readConfig('tinyllama-1.1b.json'), rope_scaling: { type: 'fancy_ntk', factor: 2 } }, /fancy_ntk/);
  refused({ ...readConfig('qwen3-0.6b.json'), rope_parameters: { rope_type: 'proportional', rope_theta: 1000000 } }, /proportional/);
});

test('refused: llama3 without low_freq_factor (or high_freq_factor)', () => {
  const llama = readConfig('llama-3.2-1b.json');
  const without = (key: string) => Object.fromEntries(Object.entries(llama.rope_scaling).filter(([k]) => k !== key));
  refused({ ...llama, rope_scaling: without('low_freq_factor') }, /low_freq_factor/);
  refused({ ...llama, rope_scaling: without('high_freq_factor') }, /high_freq_factor/);
});

test('refused: longrope with the wrong number of short_factor (or long_factor) entries', () => {
  const phi = readConfig('phi-3.5-mini-instruct.json');
  refused({ ...phi, rope_scaling: { ...phi.rope_scaling, short_factor: phi.rope_scaling.short_factor.slice(0, 47) } }, /short_factor.*48/);
  refused({ ...phi, rope_scaling: { ...phi.rope_scaling, short_factor: [...phi.rope_scaling.short_factor, 1] } }, /short_factor.*48/);
  refused({ ...phi, rope_scaling: { ...phi.rope_scaling, long_factor: phi.rope_scaling.long_factor.slice(1) } }, /long_factor.*48/);
});

// Phi3Config renames the legacy rope_scaling types "su" and "yarn" to "longrope" (configuration_phi3.py,
// "for backward compatibility"), as the first Phi-3 128k uploads wrote them.
test('Phi-3 legacy rope_scaling types "su" and "yarn" read as longrope', () => {
  const phi = readConfig('phi-3.5-mini-instruct.json');
  for (const legacy of ['su', 'yarn']) {
    const spec = parseHfConfig({ ...phi, rope_scaling: { ...phi.rope_scaling, type: legacy } }, 'config.json');
    assert.equal(spec.rope?.global.type, 'longrope', legacy);
  }
});
