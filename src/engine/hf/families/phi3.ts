// Phi-3: Llama's maths with fused projections: qkv_proj holds Q, K and V stacked (rows
// [H*D; Hkv*D; Hkv*D]) and gate_up_proj the gate then the up projection; LongRoPE for the 128k
// checkpoints (rope scaling in ropeScaling.ts), sliding window on every layer when configured.
import { llamaStyle } from './llama';

export const phi3 = llamaStyle({ name: 'phi3', label: 'Phi-3', modelTypes: ['phi3'], fused: true, headNorms: false, ropeAliases: { su: 'longrope', yarn: 'longrope' } });
