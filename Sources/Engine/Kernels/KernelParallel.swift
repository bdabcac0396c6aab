/// Batch-level parallelism for the kernels: contiguous chunks of items, one per worker, so each worker
/// can own its scratch buffers; small per-image GEMMs run faster side by side than split across the
/// cores one after another.
enum KernelParallel {
    static var workerCount: Int { Parallel.threads }

    /// `body(worker, range)` for each worker's chunk of `0..<count`; the chunks cover the range in order.
    static func forEachChunk(_ count: Int, minimumPerWorker: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        BLASKernelSelection.ensureSelected()
        guard count > 0 else { return }
        let workers = max(1, min(workerCount, count / max(1, minimumPerWorker)))
        if workers == 1 {
            body(0, 0..<count)
            return
        }
        Parallel.forEach(workers) { worker in
            body(worker, chunk(worker, of: workers, count: count))
        }
    }

    static func chunk(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
        (worker * count / workers)..<((worker + 1) * count / workers)
    }
}
