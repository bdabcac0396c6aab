/// Batch-level parallelism for the kernels: contiguous chunks of items, each with its own scratch buffers;
/// small per-image GEMMs run faster side by side than split across the cores one after another.
enum KernelParallel {
    static var workerCount: Int { Parallel.threads }

    /// `body(range)` for consecutive chunks of `0..<count` (at least `minimumPerChunk` items each, at most
    /// three per worker) handed to whichever worker is free, so a core slowed by a busy neighbour takes fewer.
    /// For bodies whose result does not depend on which worker ran which chunk.
    static func forEachChunk(_ count: Int, minimumPerChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        BLASKernelSelection.ensureSelected()
        guard count > 0 else { return }
        let chunks = max(1, min(3 * workerCount, count / max(1, minimumPerChunk)))
        guard chunks > 1 else { return body(0..<count) }
        Parallel.forEachDynamically(chunks) { _, index in body(chunk(index, of: chunks, count: count)) }
    }

    /// `body(worker, range)` for one fixed chunk of `0..<count` per worker, in order: for per-worker
    /// partial sums, which must not depend on the schedule.
    static func forEachWorkerChunk(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        BLASKernelSelection.ensureSelected()
        guard count > 0 else { return }
        let workers = max(1, min(workerCount, count))
        guard workers > 1 else { return body(0, 0..<count) }
        Parallel.forEach(workers) { worker in
            body(worker, chunk(worker, of: workers, count: count))
        }
    }

    static func chunk(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
        (worker * count / workers)..<((worker + 1) * count / workers)
    }
}
