// Every architecture family the lens builds, by config.json model_type.
import { attnOnly } from './attnOnly';
import type { Family } from './family';
import { gemma } from './gemma';
import { gpt2 } from './gpt2';
import { llama } from './llama';
import { neox } from './neox';
import { olmo2 } from './olmo2';
import { phi3 } from './phi3';
import { qwen3 } from './qwen3';
import type { HfFamily } from '../spec';

export const FAMILIES: readonly Family[] = [gpt2, neox, llama, qwen3, gemma, phi3, olmo2, attnOnly];

/** model_type -> its family. */
export const SUPPORTED: Readonly<Record<string, Family>> = Object.fromEntries(FAMILIES.flatMap((f) => f.modelTypes.map((t) => [t, f])));

export function familyOf(name: HfFamily): Family {
  return FAMILIES.find((f) => f.name === name)!;
}
