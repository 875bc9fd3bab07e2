// config.json of a Hugging Face causal LM, reduced to what the ONNX builder needs: the family
// that knows its model_type reads it (families/*.ts).
import { quoted } from '../errors';
import { ConfigReader } from './configReader';
import { FAMILIES, SUPPORTED } from './families';
import type { HfSpec } from './spec';

export { CONFIG_LIMITS } from './configReader';
export type { Activation, HfFamily, HfSpec } from './spec';

export function parseHfConfig(raw: unknown, file: string): HfSpec {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) new ConfigReader({}, file).fail('must be a JSON object');
  const r = new ConfigReader(raw as Record<string, unknown>, file);
  const type = r.modelType;
  if (!Object.hasOwn(SUPPORTED, type)) {
    const hint = type === 'gemma3' ? ' (the multimodal Gemma 3 checkpoints; the text-only ones, such as gemma-3-1b, have model_type "gemma3_text")' : '';
    const list = FAMILIES.filter((f) => f.modelTypes.length).map((f) => `${f.label} (${f.modelTypes.join(', ')})`).join(', ');
    r.fail(`model_type ${quoted(r.c.model_type ?? null)} is not supported${hint}; Induction Lens builds ${list}`);
  }
  return SUPPORTED[type].parse(r);
}
