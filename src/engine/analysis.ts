// Analysis of a text: windows, forward passes, induction events, losses, predictions and the
// ablation gain (definitions in docs/definitions.md). Pure computation over an InferenceBackend.
import { throwIfCancelled, type CancellationToken } from './cancellation';
import { bosPrefix, tokensPerWindow, windowIds, windowSeq } from './attentionIndex';
import { EngineError } from './errors';
import type { InferenceBackend } from './backend';
import type { HeadScore } from './probe';
import { copyWindow, reusable, sameWindow } from './windowReuse';
import { attentionReader, eventAttribution, findEvents, repeatedRows, scoreWindow, successorPairs } from './windowScores';
import type { TextTokenizer, TokenizedText } from './tokenizer';

import type { HeadRef } from '../protocol/headRef';

export type { HeadRef };

export interface InductionEvent {
  /** Token index of the repeated token A. */
  query: number;
  /** Token index of B, the token after an earlier A, that the strongest induction head attends to. */
  source: number;
  successorId: number;
  attention: number;
  head: HeadRef;
  /** The model's probability and 1-based rank of B as the next token at `query`. */
  prob: number;
  rank: number;
  /** Whether the next token really is B. */
  hit: boolean;
}

export interface Prediction {
  id: number;
  prob: number;
}

export interface AnalysisWindow {
  /** Token range [start, end) fed to the model, after BOS when the model has one (attentionIndex.ts). */
  start: number;
  end: number;
  /** Token range [ownStart, ownEnd) whose results come from this window. */
  ownStart: number;
  ownEnd: number;
  /** [n_layers, n_heads, seq, seq] with seq = windowSeq (BOS first when there is one); null if not kept. */
  attentions: Float32Array | null;
  /** Taken from the previous analysis (windowReuse.ts): its ablation gains for the own tokens,
   *  when it had them; computeAblation uses them instead of running the window. */
  reusedGain?: (number | null)[];
  /** [seq, d_model]: the residual stream entering the first layer the ablation masks more than
   *  the analysis did (ablationStart); computeAblation runs the layers from there on, then drops it. */
  resid?: Float32Array;
  /** [n_layers, n_heads, seq]: each position's attention to the one before, kept instead of the
   *  attentions (keepAttentions false) for the panel's previous-token scores. */
  prevAttn?: Float32Array;
}

export interface ModelDims {
  nLayers: number;
  nHeads: number;
  nCtx: number;
  dVocab: number;
  /** Ids a text can produce (the tokenizer's size): the probe draws its random tokens from them.
   *  Smaller than dVocab for models with padded embeddings, such as Pythia. */
  tokenVocab: number;
  /** The BOS token every window starts with, or null when the model's windows start directly
   *  with the text's tokens (its tokenizer adds no BOS, e.g. Qwen and GPT-2): the analysis and
   *  the probe never add a BOS the model never saw. */
  bos: number | null;
  /** Residual stream width: bounds direct logit attribution's work (absent: unbounded). */
  dModel?: number;
}

export interface Analysis {
  dims: ModelDims;
  tokens: TokenizedText;
  heads: HeadScore[];
  inductionHeads: HeadRef[];
  events: InductionEvent[];
  /** loss[q]: cross-entropy of predicting token q+1 at q; null for the last token. */
  loss: (number | null)[];
  /** Top predictions for the next token at every position. */
  predictions: Prediction[][];
  windows: AnalysisWindow[];
  /** Filled by computeAblation: loss with the induction heads masked minus loss. */
  ablationGain: (number | null)[] | null;
  /** The user's head mask the analysis ran with (null: none), and the predictions kept per
   *  position: what a later analysis must share to reuse its windows. */
  headMask?: Float32Array | null;
  topK?: number;
  /** Without kept attentions: every head's attention from each event's query to its source
   *  ([n_layers * n_heads], by query), for the panel's induction scores on the text. */
  eventAttention?: Map<number, Float32Array>;
  /** Each event's direct logit attribution ([n_layers * n_heads], layer * n_heads + head), by
   *  query: every head's direct contribution to the logit of B at the query (definitions); absent
   *  for models run from an ONNX file. */
  eventDla?: Map<number, Float32Array>;
  /** Characters of the text covered by the analyzed tokens (less than its length when cut). */
  analyzedLength: number;
  /** Why the text was cut, if it was: the token limit, or the memory the attention patterns of
   *  more windows would need. */
  cutBy: 'maxTokens' | 'memory' | null;
}

export interface AnalyzeOptions {
  /** Heads with probe induction score >= this are the induction heads (default 0.4). */
  inductionThreshold?: number;
  /** Predictions kept per position (default 5). */
  topK?: number;
  /** [n_layers, n_heads] mask applied to every forward pass (ablation chosen by the user). */
  headMask?: Float32Array;
  /** Cancels the analysis: checked between windows and passed to every forward pass. */
  token?: CancellationToken;
  /** Keep attention tensors of every window (default true). False: only the attention rows the
   *  analysis needs are fetched (attention on demand), and the panel asks for a head's pattern
   *  when it shows one (patternOnDemand.ts). */
  keepAttentions?: boolean;
  /** Analyze at most this many tokens; the rest of the text is left out (see analyzedLength). */
  maxTokens?: number;
  /** Every event's direct logit attribution in the same pass (the CLI's JSON); without it the
   *  hover asks for the one event it shows (attributionOnDemand.ts). */
  attribution?: boolean;
  /** The last analysis of this text's place (live mode): windows whose tokens are unchanged are
   *  taken from it instead of run again (windowReuse.ts). */
  previous?: Analysis;
  /** Bytes the kept attention tensors may take (default ATTENTION_BUDGET_BYTES); text that would
   *  need more windows is cut. */
  attentionBudgetBytes?: number;
}

/** Default memory for the attention patterns kept of one analysis ([L, H, S, S] float32 per
 *  window): 2 GiB, about 3 windows (2,045 tokens) of GPT-2 small or 127 of the bundled model. */
export const ATTENTION_BUDGET_BYTES = 2 * 2 ** 30;

/** A token covers at most this many UTF-16 units of text when the text is cut before tokenizing
 *  (a hostile vocabulary with longer tokens only gets fewer tokens analyzed). */
const MAX_UNITS_PER_TOKEN = 1024;

const longestToken = new WeakMap<TextTokenizer, number>();

/**
 * How much of a text can hold `maxTokens` tokens: every token covers at most as many UTF-16 units
 * as it has bytes. Twice that, so the BPE of the last words before the cut matches the whole
 * text's; the text is cut here before it is tokenized, so huge texts cost nothing.
 */
export function textBudget(tokenizer: TextTokenizer, maxTokens: number): number {
  let longest = longestToken.get(tokenizer);
  if (longest === undefined) {
    longest = 1;
    for (let id = 0; id < tokenizer.vocabSize; id++) longest = Math.max(longest, tokenizer.bytesOf(id).length);
    longest = Math.min(longest, MAX_UNITS_PER_TOKEN);
    longestToken.set(tokenizer, longest);
  }
  return 2 * maxTokens * longest + 64;
}

/** Tokens whose windows' attention patterns fit in `budget` bytes (at least one window). Without
 *  `bos` the windows start with a BOS token. */
export function tokensWithinAttentionBudget(
  nTokens: number, dims: Pick<ModelDims, 'nLayers' | 'nHeads' | 'nCtx'> & { bos?: number | null }, budget: number,
): number {
  const layout = { nCtx: dims.nCtx, bos: dims.bos === undefined ? 0 : dims.bos };
  const W = tokensPerWindow(layout);
  const S = windowSeq(layout, { start: 0, end: Math.min(nTokens, W) });
  const perWindow = dims.nLayers * dims.nHeads * S * S * 4;
  const windows = Math.max(1, Math.floor(budget / perWindow));
  if (nTokens <= W) return nTokens;
  return Math.min(nTokens, W + (windows - 1) * Math.max(1, Math.floor(W / 2)));
}

/** Windows of n_ctx − prefix tokens (a BOS, prefix 1, takes one position; see bosPrefix) with
 * half-window stride; every token is owned by the earliest window that holds it, the one giving it
 * the most left context. */
export function planWindows(nTokens: number, nCtx: number, prefix: 0 | 1 = 1): { start: number; end: number; ownStart: number; ownEnd: number }[] {
  const W = nCtx - prefix;
  if (nTokens <= W) return [{ start: 0, end: nTokens, ownStart: 0, ownEnd: nTokens }];
  const S = Math.max(1, Math.floor(W / 2));
  const out = [];
  let ownStart = 0;
  for (let start = 0; ownStart < nTokens; start += S) {
    const end = Math.min(nTokens, start + W);
    const ownEnd = end;
    out.push({ start, end, ownStart, ownEnd });
    ownStart = ownEnd;
  }
  return out;
}

export function inductionHeadsOf(heads: HeadScore[], threshold: number): HeadRef[] {
  const chosen = heads.filter((h) => h.induction >= threshold);
  return chosen.map((h) => ({ layer: h.layer, head: h.head }));
}

export async function analyze(
  text: string, tokenizer: TextTokenizer, backend: InferenceBackend, dims: ModelDims,
  heads: HeadScore[], opts: AnalyzeOptions = {},
): Promise<Analysis> {
  const maxTokens = opts.maxTokens === undefined ? Infinity : Math.max(1, opts.maxTokens);
  // Cut by characters first: tokenizing a 20 MB file to keep 2,048 tokens would take seconds.
  let cutText = text;
  if (Number.isFinite(maxTokens)) {
    let end = Math.min(text.length, textBudget(tokenizer, maxTokens));
    const c = text.charCodeAt(end - 1);
    if (end < text.length && c >= 0xd800 && c <= 0xdbff) end--; // keep surrogate pairs whole
    cutText = text.slice(0, end);
  }
  let tokens = tokenizer.encode(cutText);
  if (tokens.ids.length === 0) throw new EngineError('nothing to analyze: the text is empty');
  let cutBy: Analysis['cutBy'] = null;
  const byMemory = opts.keepAttentions === false ? Infinity
    : tokensWithinAttentionBudget(tokens.ids.length, dims, opts.attentionBudgetBytes ?? ATTENTION_BUDGET_BYTES);
  const keep = Math.min(maxTokens, byMemory);
  if (tokens.ids.length > keep) {
    cutBy = byMemory < maxTokens ? 'memory' : 'maxTokens';
    tokens = { ids: tokens.ids.subarray(0, keep), starts: tokens.starts.subarray(0, keep), ends: tokens.ends.subarray(0, keep) };
  } else if (cutText.length < text.length) {
    cutBy = 'maxTokens';
  }
  const threshold = opts.inductionThreshold ?? 0.4;
  const k = opts.topK ?? 5;
  const inductionHeads = inductionHeadsOf(heads, threshold);
  const N = tokens.ids.length;
  const loss = new Array<number | null>(N).fill(null);
  const predictions = new Array<Prediction[]>(N);
  const events: InductionEvent[] = [];
  const windows: AnalysisWindow[] = [];
  const headMask = opts.headMask ?? null;
  const keepAttn = opts.keepAttentions !== false;
  const previous = reusable({ previous: opts.previous, dims, inductionHeads, headMask, topK: k, keepAttentions: keepAttn });
  const residAt = ablationStart(dims, inductionHeads, headMask) || undefined;
  const eventAttention = keepAttn ? undefined : new Map<number, Float32Array>();
  const eventDla = new Map<number, Float32Array>();
  for (const w of planWindows(N, dims.nCtx, bosPrefix(dims))) {
    throwIfCancelled(opts.token);
    const same = previous ? sameWindow(previous, w, tokens.ids) : undefined;
    if (same) {
      windows.push(copyWindow(previous!, same, loss, predictions, events, eventAttention, eventDla));
      continue;
    }
    const ids = windowIds(dims, tokens.ids, w);
    const rows = repeatedRows(tokens.ids, w, dims);
    const dla = opts.attribution ? successorPairs(tokens.ids, w, dims, rows) : null;
    const out = await backend.forward({
      ids, batch: 1, seq: ids.length, headMask: opts.headMask, wantAttentions: keepAttn, residAt, rows, dlaPairs: dla?.pairs, token: opts.token,
    });
    throwIfCancelled(opts.token);
    scoreWindow(tokens.ids, w, out, dims, k, loss, predictions);
    const found: InductionEvent[] = [];
    findEvents(tokens.ids, w, out, dims, inductionHeads, found, attentionReader(out, dims, w, rows), eventAttention);
    if (dla) eventAttribution(out, dims, found, dla.index, eventDla);
    events.push(...found);
    windows.push({ ...w, attentions: keepAttn ? out.attentions : null, ...(out.resid ? { resid: out.resid } : {}), ...(out.prevAttn ? { prevAttn: out.prevAttn } : {}) });
  }
  events.sort((a, b) => a.query - b.query);
  return {
    dims, tokens, heads, inductionHeads, events, loss, predictions, windows, ablationGain: null, headMask, topK: k,
    analyzedLength: tokens.ends[N - 1], cutBy, ...(eventAttention ? { eventAttention } : {}), ...(eventDla.size ? { eventDla } : {}),
  };
}

/** The first layer whose heads the ablation masks and the analysis (with `headMask`) did not:
 *  everything before it is unchanged, so the ablation pass can start there. 0 when none. */
export function ablationStart(dims: Pick<ModelDims, 'nHeads'>, inductionHeads: HeadRef[], headMask: Float32Array | null): number {
  const added = inductionHeads.filter((h) => !headMask || headMask[h.layer * dims.nHeads + h.head] !== 0);
  return added.length ? Math.min(...added.map((h) => h.layer)) : 0;
}

/** Runs the text again with the induction heads masked (on top of any user mask), from the first
 *  layer that changes when the analysis kept the residual stream entering it. */
export async function computeAblation(a: Analysis, backend: InferenceBackend, baseMask?: Float32Array, token?: CancellationToken): Promise<(number | null)[]> {
  const { nLayers, nHeads } = a.dims;
  const mask = baseMask ? Float32Array.from(baseMask) : new Float32Array(nLayers * nHeads).fill(1);
  for (const h of a.inductionHeads) mask[h.layer * nHeads + h.head] = 0;
  const N = a.tokens.ids.length;
  const ablated = new Array<number | null>(N).fill(null);
  // Gains a reused window brought along hold when this ablation masks what that one did.
  const same = (a.headMask ?? null) === null ? !baseMask : !!baseMask && baseMask.every((v, i) => v === a.headMask![i]);
  const kept = new Map<number, number | null>();
  for (const w of a.windows) {
    throwIfCancelled(token);
    if (w.reusedGain && same) {
      w.reusedGain.forEach((g, i) => kept.set(w.ownStart + i, g));
      continue;
    }
    const ids = windowIds(a.dims, a.tokens.ids, w);
    const start = same ? ablationStart(a.dims, a.inductionHeads, a.headMask ?? null) : 0;
    const from = w.resid && start > 0 ? { layer: start, resid: w.resid } : undefined;
    const out = await backend.forward({ ids, batch: 1, seq: ids.length, headMask: mask, wantAttentions: false, from, token });
    scoreWindow(a.tokens.ids, w, out, a.dims, 0, ablated, null);
  }
  throwIfCancelled(token);
  for (const w of a.windows) {
    delete w.reusedGain;
    delete w.resid;
  }
  const gain = ablated.map((v, i) => (kept.has(i) ? kept.get(i)! : v === null || a.loss[i] === null ? null : v - (a.loss[i])));
  a.ablationGain = gain;
  return gain;
}
