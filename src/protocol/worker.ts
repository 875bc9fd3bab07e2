import type { HeadRef, PanelCircuits } from './panel';

// Messages between the extension host (or CLI) and the inference worker. Types only.

/** A model folder as the worker read it; the host checks it again when it builds the model. */
export interface WorkerModelParts {
  folder: unknown;
  tokenizerJson: unknown;
  hash: string;
}

export interface WorkerModelSummary {
  id: string;
  nLayers: number;
  nHeads: number;
  nCtx: number;
  kind: string;
}

import type { PathSpec } from './pathSpec';

export type ToWorker =
  /** Reads and checks a model folder's files (the host never does). */
  | { type: 'open'; requestId: number; modelDir: string }
  /** The host no longer wants request `requestId`: skipped if it has not started (no reply). */
  | { type: 'cancel'; requestId: number }
  /** The folder's size and kind, for pick lists; reads config and headers only. */
  | { type: 'inspect'; requestId: number; modelDir: string }
  /** `stamp` names the version of the folder's files (sizes and times): a model whose files
   *  changed on disk is loaded again under its new stamp, never mixed with the old one. */
  | { type: 'load'; requestId: number; modelDir: string; stamp?: string; threads?: number }
  | {
      type: 'forward';
      requestId: number;
      modelDir: string;
      stamp?: string;
      ids: Int32Array; // [batch, seq]
      batch: number;
      seq: number;
      headMask?: Float32Array; // [n_layers, n_heads]
      wantAttentions: boolean;
      /** Also return the residual stream entering this layer (ForwardRequest.residAt). */
      residAt?: number;
      /** Start at this layer from this residual stream [batch, seq, d_model] (ForwardRequest.from). */
      from?: { layer: number; resid: Float32Array };
      /** Attention on demand: the model positions whose rows to return (ForwardRequest.rows). */
      rows?: Int32Array;
      /** Direct logit attribution pairs (ForwardRequest.dlaPairs). */
      dlaPairs?: Int32Array;
      /** Run with this path ablated (ForwardRequest.path). */
      path?: PathSpec;
    }
  | { type: 'unload'; requestId: number; modelDir: string; stamp?: string }
  | { type: 'circuits'; requestId: number; modelDir: string; previousHead: HeadRef; inductionHead: HeadRef }
  | { type: 'ping'; requestId: number }
  /** Only honoured by a worker started with test hooks: ends it as a crash or running out of memory would. */
  | { type: 'crashForTest'; requestId: number; how: 'exit' | 'oom' };

export type FromWorker =
  /** A stage of a model load in progress (several per load request, before its 'loaded');
   *  `done`/`total` are the bytes of weights read while `stage` is 'reading'. */
  | { type: 'progress'; requestId: number; stage: 'reading' | 'building' | 'session'; done?: number; total?: number }
  | { type: 'opened'; requestId: number; parts: WorkerModelParts }
  | { type: 'inspected'; requestId: number; summary: WorkerModelSummary }
  | { type: 'loaded'; requestId: number; loadMs: number; dims: { nLayers: number; nHeads: number; dVocab: number; dModel: number } }
  | {
      type: 'result';
      requestId: number;
      logits: Float32Array; // [batch, seq, d_vocab]
      attentions: Float32Array | null; // [batch, n_layers, n_heads, seq, seq]
      logsumexp?: Float32Array; // [batch, seq]
      topK?: { k: number; values: Float32Array; ids: Int32Array }; // [batch, seq, k]
      resid?: Float32Array; // [batch, seq, d_model], when residAt was asked and the graph has it
      attnRows?: Float32Array; // [batch, n_layers, n_heads, rows, seq], when rows were asked
      prevAttn?: Float32Array; // [batch, n_layers, n_heads, seq], when rows were asked
      dla?: Float32Array; // [batch, n_layers, n_heads, pairs], when pairs were asked and the graph has them
      runMs: number;
    }
  | { type: 'circuits'; requestId: number; circuits: PanelCircuits }
  | { type: 'unloaded'; requestId: number }
  | { type: 'pong'; requestId: number }
  | { type: 'error'; requestId: number; message: string };
