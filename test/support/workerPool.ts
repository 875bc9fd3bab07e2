// Re-export of the worker client for scripts that run outside the bundles (benchmarks).
export { WorkerPool } from '../../src/worker/workerPool';
