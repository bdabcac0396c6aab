import Foundation

/// Data parallelism over the machine's cores. The engine owns all threads: OpenBLAS runs single-threaded
/// on whichever worker calls it (`sgemm` splits large products itself). OpenBLAS's own pool is never
/// woken, because its idle threads spin in sched_yield for ~0.1 s after every threaded call, taking
/// CPU from the workers on a machine with few cores.
public enum Parallel {
    nonisolated(unsafe) private static var configuredThreads: Int = {
        let n = max(1, ProcessInfo.processInfo.activeProcessorCount)
        BLASKernelSelection.ensureSelected()
        return n
    }()

    /// Worker count for `forEach`/`ranges` and for splitting products (default: the active processor count).
    public static var threads: Int {
        get { configuredThreads }
        set {
            precondition(newValue >= 1, "Parallel.threads must be at least 1, got \(newValue)")
            configuredThreads = newValue
        }
    }

    /// Calls `body` for every index in 0..<count, split into one contiguous chunk per worker.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        ranges(count, grain: 1) { range in
            for i in range { body(i) }
        }
    }

    /// Calls `body(worker, index)` for every index in 0..<count, handing the indices out one at a time to
    /// whichever worker is free, so a slower core (a busy neighbour on a shared host) takes fewer items;
    /// `worker` < min(threads, count). Which worker gets which index varies from run to run.
    public static func forEachDynamically(_ count: Int, _ body: (_ worker: Int, _ index: Int) -> Void) {
        WorkerPool.shared.run(count, participants: threads, body)
    }

    /// Splits 0..<count into at most `threads` contiguous ranges of at least `grain` indices each
    /// and runs `body` on them concurrently (inline when only one range results, or when called from inside
    /// another parallel region).
    public static func ranges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        WorkerPool.shared.run(chunks, participants: chunks) { _, chunk in
            body(count * chunk / chunks ..< count * (chunk + 1) / chunks)
        }
    }
}
