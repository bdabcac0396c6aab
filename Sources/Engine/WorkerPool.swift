import Foundation
import Synchronization

/// The engine's worker threads: one job at a time, its items handed out one by one to the calling thread
/// and the workers. Between jobs a worker spins for a while before it parks: a training step runs
/// hundreds of parallel regions separated by short serial stretches, and waking a parked thread costs
/// tens of microseconds on a virtual machine (the idle vCPU has halted) where a spinning one answers at
/// once. After `spinSeconds` without work a worker parks on a condition variable.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    static let spinSeconds = 0.002

    /// Publishes a job: a serial number times `serialUnit` plus the job's thread count (the caller and
    /// workers 1..<threads take part; the others skip the job without touching it).
    private let generation = Atomic<Int>(0)
    private static let serialUnit = 256
    private static let maximumThreads = serialUnit - 1
    private let nextItem = Atomic<Int>(0)
    /// Participating workers that have not yet finished the current job.
    private let pending = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)

    // The current job; written before `generation` is bumped, read by participating workers after they
    // see it, and not rewritten before they have all finished.
    nonisolated(unsafe) private var body: ((_ slot: Int, _ item: Int) -> Void)?
    nonisolated(unsafe) private var itemCount = 0

    private let parking = NSCondition()
    /// Which workers are parked (guarded by `parking`).
    nonisolated(unsafe) private var parked = [Bool](repeating: false, count: maximumThreads)
    nonisolated(unsafe) private var workers = 0

    /// Runs `body(slot, item)` for every item in 0..<count on the calling thread (slot 0) and workers
    /// 1..<min(participants, count) (their slot is their number). Returns when all are done. A call made
    /// while another job runs (a nested call from inside a job, or another thread's) runs its items on the
    /// calling thread alone.
    func run(_ count: Int, participants: Int, _ body: (_ slot: Int, _ item: Int) -> Void) {
        guard count > 0 else { return }
        let slots = min(participants, count, Self.maximumThreads)
        guard slots > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for item in 0..<count { body(0, item) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        ensureWorkers(slots - 1)
        withoutActuallyEscaping(body) { body in
            self.body = body
            itemCount = count
            nextItem.store(0, ordering: .relaxed)
            pending.store(slots - 1, ordering: .relaxed)
            let serial = generation.load(ordering: .relaxed) / Self.serialUnit + 1
            generation.store(serial * Self.serialUnit + slots, ordering: .releasing)
            parking.lock()
            if parked[1..<slots].contains(true) { parking.broadcast() }
            parking.unlock()
            takeItems(slot: 0, body)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins & 0xFFFF == 0 { sched_yield() }
            }
            self.body = nil
        }
    }

    private func takeItems(slot: Int, _ body: (Int, Int) -> Void) {
        while true {
            let item = nextItem.add(1, ordering: .relaxed).oldValue
            guard item < itemCount else { return }
            body(slot, item)
        }
    }

    /// Starts workers until there are `count` (never stops any: smaller jobs leave the rest idle).
    private func ensureWorkers(_ count: Int) {
        while workers < count {
            let (seen, slot) = (generation.load(ordering: .acquiring), workers + 1)
            let thread = Thread { [self] in work(slot: slot, seen: seen) }
            thread.name = "lzn-worker-\(slot)"
            thread.start()
            workers += 1
        }
    }

    private func work(slot: Int, seen start: Int) {
        var seen = start
        while true {
            seen = waitForJob(slot: slot, after: seen)
            if let body { takeItems(slot: slot, body) }
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// Whether worker `slot` takes part in the job published as `generation`.
    private static func includes(_ generation: Int, slot: Int) -> Bool { slot < generation % serialUnit }

    /// Waits for the next job this worker takes part in and returns its generation: spinning for up to
    /// `spinSeconds`, then parked. A worker left out of a job parks at once.
    private func waitForJob(slot: Int, after last: Int) -> Int {
        var seen = last
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(Self.spinSeconds * 1e9)
        var spins = 0
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen {
                if Self.includes(current, slot: slot) { return current }
                seen = current
                break
            }
            spins += 1
            if spins & 0x3FF == 0 {
                if DispatchTime.now().uptimeNanoseconds > deadline { break }
                // Hand the core over if another thread is waiting for it.
                sched_yield()
            }
        }
        parking.lock()
        defer { parking.unlock() }
        parked[slot] = true
        defer { parked[slot] = false }
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen {
                if Self.includes(current, slot: slot) { return current }
                seen = current
            }
            parking.wait()
        }
    }
}
