// Messages between the extension host and the panel's webview. Types only; tensors travel as
// typed arrays with their shape, never as nested JSON arrays.

import type { PathSpec } from './pathSpec';
import type { HeadRef } from './headRef';

export type { HeadRef };

export interface Matrix {
  shape: [number, number];
  data: Float32Array;
}

export interface PanelHeadScore extends HeadRef {
  induction: number;
  previousToken: number;
  duplicateToken: number;
  /** The same scores measured on the analyzed text (NaN when the text has no eligible position). */
  textInduction: number;
  textPreviousToken: number;
}

export interface PanelEvent {
  query: number;
  source: number;
  successorId: number;
  attention: number;
  head: HeadRef;
  prob: number;
  rank: number;
  hit: boolean;
  /** Loss with the induction heads masked minus loss at the query (nats); NaN when unknown. */
  gain: number;
  /** Whether the event passes the editor's filter: attention >= attentionThreshold and
   *  gain >= minAblationGain ("events that matter"). */
  matters: boolean;
}

export type EventFilterMode = 'matter' | 'all';

export interface PanelAnalysis {
  requestId: number;
  /** `version` changes when the model is loaded again (its files changed on disk). */
  model: { id: string; version: string; nLayers: number; nHeads: number; nCtx: number };
  fileName: string;
  text: string;
  /** Where the analyzed text starts in the document (0-based line and character), so the panel
   *  can show document positions. */
  origin: { line: number; character: number };
  tokens: { ids: Int32Array; starts: Int32Array; ends: Int32Array };
  heads: PanelHeadScore[];
  inductionHeads: HeadRef[];
  events: PanelEvent[];
  /** Indices into `events`, strongest first: by ablation gain, then attention. */
  eventOrder: Int32Array;
  /** The editor's event filter: what "events that matter" means for this analysis. */
  eventFilter: { mode: EventFilterMode; attentionThreshold: number; minAblationGain: number };
  /** [n_tokens]; NaN where undefined (the last token). */
  loss: Float32Array;
  /** [n_tokens] loss with the induction heads masked minus loss; NaN until computed. */
  ablationGain: Float32Array;
  /** Top-k next-token predictions: ids and probabilities [n_tokens, k]. */
  topK: { k: number; ids: Int32Array; probs: Float32Array };
  /** Label of every token id the panel shows (predictions, successors): its characters, with
   *  bytes that end mid-character named as such, never U+FFFD. */
  vocabText: Record<number, string>;
  /** [n_layers * n_heads], 1 = on, 0 = ablated by the user. */
  mask: Float32Array;
  /** With heads ablated: the unablated loss and successor probability per event, for comparison. */
  baseline: { loss: Float32Array; eventProb: Float32Array } | null;
  /** With heads ablated: mean loss (over positions with a loss) and mean p(successor) over the
   *  events, unablated and ablated. */
  ablationEffect: { lossBefore: number; lossAfter: number; probBefore: number; probAfter: number } | null;
  /** The K-composition test's heads: the strongest previous-token head (probe) before the
   *  strongest induction head; null for a one-layer model. */
  kComposition: { previousHead: HeadRef; inductionHead: HeadRef } | null;
  elapsedMs: number;
}

export interface PanelPattern {
  requestId: number;
  head: HeadRef;
  /** Why this head is shown, for the title (e.g. the induction head most active on the text). */
  why: string;
  /** Attention of the head over the analyzed tokens, [query, key]; keys outside a query's window are 0. */
  pattern: Matrix;
}

export interface PanelCircuits {
  previousTokenQK: { head: HeadRef; subDiagonalMass: number; pattern: Matrix };
  /** `maxAbs`: the largest |score| (NaN excluded), the colour scale's end. `bos`: whether the
   *  sequence starts with the BOS token (absent: it does), or is the random tokens alone (a model
   *  with no BOS). */
  kCompositionPattern: { previousHead: HeadRef; inductionHead: HeadRef; scores: Matrix; maxAbs: number; bos?: boolean };
  /** `matrix` raw; `standardized` each row minus its mean over its standard deviation (what the
   *  figure colours); `diagonalMaxRows` rows whose largest entry is the diagonal one. */
  ovCircuit: { head: HeadRef; tokens: string[]; matrix: Matrix; standardized: Matrix; diagonalMaxRows: number };
  copying: (HeadRef & { eigenCopyingScore: number; top1Accuracy: number })[];
  kComposition: { scores: number[][]; baseline: number };
}

/** A path ablation's effect, as the Circuits tab's "Test the circuit" shows it. */
export interface PanelPathResult {
  path: PathSpec;
  receiverInductionScore: { before: number; after: number };
  meanLoss: { before: number; after: number };
  /** Events painted with the current filter, and how many of them the ablation removes (their
   *  query has no event left with attention at or above the threshold). */
  events: number;
  disappeared: number;
}

export type HostToPanel =
  | { type: 'analysis'; analysis: PanelAnalysis }
  | { type: 'pathResult'; result: PanelPathResult | null; error?: string }
  | { type: 'pattern'; pattern: PanelPattern }
  | { type: 'circuits'; circuits: PanelCircuits | null; reason: string | null }
  | { type: 'busy'; message: string }
  | { type: 'error'; message: string }
  | { type: 'empty'; message: string };

export type PanelToHost =
  | { type: 'ready' }
  | { type: 'selectHead'; head: HeadRef }
  | { type: 'revealToken'; index: number }
  | { type: 'setMask'; mask: number[] }
  | { type: 'requestCircuits' }
  | { type: 'testPath'; path: PathSpec }
  | { type: 'paintDisappeared' }
  | { type: 'exportJson' }
  | { type: 'exportPng'; view: string; dataUrl: string }
  | { type: 'perf'; mark: string; ms: number };
