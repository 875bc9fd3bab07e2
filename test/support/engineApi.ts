// The engine's API as one CommonJS bundle for scripts (benchmarks) that are not bundled themselves.
export { openModel } from '../../src/engine/model';
export { OrtModel } from '../../src/worker/ortModel';
export { ModelSession } from '../../src/engine/session';
export { planOverlay } from '../../src/engine/overlay';
export { runProbe } from '../../src/engine/probe';
export { WorkerPool } from '../../src/worker/workerPool';
export { readModelFolder } from '../../src/engine/manifest';
export { buildHfGraph } from '../../src/engine/hf/build';
export { TensorReader } from '../../src/engine/hf/weights';
