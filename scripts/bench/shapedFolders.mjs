// Hugging Face folders of real shapes with random weights, written to a temporary folder (the caller
// deletes it): GPT-2 small (124 M parameters, fp16) and Llama-3.2-1B (1.24 B, bf16). Used by
// bench-hf.mjs (load time, memory) and bench.mjs (analysis against PyTorch and the logits-only pass).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** A safetensors file of random small half-width values (F16 or BF16) for the given shapes. */
function writeRandom(file, shapes, dtype, norms) {
  const header = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype, shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let h = Buffer.from(JSON.stringify(header));
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, Buffer.concat([len, h]));
  // Small values of either sign: F16 exponents 2^-9..2^-7, BF16 2^-9..2^-7; norm weights 1.
  const one = dtype === 'F16' ? 0x3c00 : 0x3f80;
  for (const [name, info] of Object.entries(header)) {
    const bytes = info.data_offsets[1] - info.data_offsets[0];
    for (let at = 0; at < bytes; at += 64 * 2 ** 20) {
      const chunk = crypto.randomBytes(Math.min(64 * 2 ** 20, bytes - at));
      const u16 = new Uint16Array(chunk.buffer, chunk.byteOffset, chunk.length / 2);
      for (let i = 0; i < u16.length; i++) {
        const r = u16[i];
        u16[i] = norms.test(name) ? one : dtype === 'F16' ? (r & 0x83ff) | ((6 + (r % 3)) << 10) : (r & 0x807f) | ((118 + (r % 3)) << 7);
      }
      fs.writeSync(fd, chunk);
    }
  }
  fs.closeSync(fd);
}

/** GPT-2 small's config with random fp16 weights. */
export function gpt2Small() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-gpt2-small-'));
  const d = 768, V = 50257, P = 1024, L = 12;
  const shapes = { 'wte.weight': [V, d], 'wpe.weight': [P, d], 'ln_f.weight': [d], 'ln_f.bias': [d] };
  for (let l = 0; l < L; l++) {
    Object.assign(shapes, {
      [`h.${l}.ln_1.weight`]: [d], [`h.${l}.ln_1.bias`]: [d], [`h.${l}.attn.c_attn.weight`]: [d, 3 * d], [`h.${l}.attn.c_attn.bias`]: [3 * d],
      [`h.${l}.attn.c_proj.weight`]: [d, d], [`h.${l}.attn.c_proj.bias`]: [d], [`h.${l}.ln_2.weight`]: [d], [`h.${l}.ln_2.bias`]: [d],
      [`h.${l}.mlp.c_fc.weight`]: [d, 4 * d], [`h.${l}.mlp.c_fc.bias`]: [4 * d], [`h.${l}.mlp.c_proj.weight`]: [4 * d, d], [`h.${l}.mlp.c_proj.bias`]: [d],
    });
  }
  writeRandom(path.join(dir, 'model.safetensors'), shapes, 'F16', /ln_.*weight/);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: V, n_positions: P, n_embd: d, n_layer: L, n_head: 12, bos_token_id: 50256 }));
  // The bundled tokenizer stands in (its 2,048 ids are all inside the vocabulary).
  fs.copyFileSync(path.join(ROOT, 'media', 'models', 'attn-only-2l', 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  return dir;
}

/** Llama-3.2-1B's config.json values and tensor shapes (tied embeddings), random bf16 weights. */
export function llama1b() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-llama-1b-'));
  const config = {
    model_type: 'llama', hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32,
    num_key_value_heads: 8, head_dim: 64, vocab_size: 128256, max_position_embeddings: 131072, rms_norm_eps: 1e-5,
    rope_theta: 500000, tie_word_embeddings: true, hidden_act: 'silu', bos_token_id: 128000, eos_token_id: 128001,
  };
  const { hidden_size: d, intermediate_size: f, vocab_size: V, head_dim: D } = config;
  const shapes = { 'model.embed_tokens.weight': [V, d], 'model.norm.weight': [d] };
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    Object.assign(shapes, {
      [`${p}input_layernorm.weight`]: [d], [`${p}post_attention_layernorm.weight`]: [d],
      [`${p}self_attn.q_proj.weight`]: [32 * D, d], [`${p}self_attn.k_proj.weight`]: [8 * D, d], [`${p}self_attn.v_proj.weight`]: [8 * D, d],
      [`${p}self_attn.o_proj.weight`]: [d, 32 * D], [`${p}mlp.gate_proj.weight`]: [f, d], [`${p}mlp.up_proj.weight`]: [f, d], [`${p}mlp.down_proj.weight`]: [d, f],
    });
  }
  writeRandom(path.join(dir, 'model.safetensors'), shapes, 'BF16', /norm\.weight$/);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  fs.copyFileSync(path.join(ROOT, 'media', 'models', 'attn-only-2l', 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  return dir;
}
