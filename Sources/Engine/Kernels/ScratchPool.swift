import Foundation

/// Reusable scratch buffers for the kernels. Column matrices and padded images are megabytes per call;
/// freshly allocated they come back from the OS as new pages, whose faults and zeroing showed up in
/// profiles of a training step. Buffers are handed out under a lock, so concurrent callers are safe.
enum ScratchPool {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    private static let maximumPooled = 16

    /// Runs `body` with a buffer of at least `capacity` floats (contents unspecified).
    static func withBuffer<R>(_ capacity: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let buffer = take(capacity)
        defer { give(buffer) }
        return try body(buffer.pointer)
    }

    static func take(_ capacity: Int) -> (pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        let best = free.indices.filter { free[$0].capacity >= capacity }.min { free[$0].capacity < free[$1].capacity }
        let found = best.map { free.remove(at: $0) }
        lock.unlock()
        return found ?? (allocateAligned(max(capacity, 1)), max(capacity, 1))
    }

    /// Cache-line aligned, so that vector loads at multiples of 16 floats never straddle two lines.
    private static func allocateAligned(_ capacity: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacity)
    }

    static func give(_ buffer: (pointer: UnsafeMutablePointer<Float>, capacity: Int)) {
        lock.lock()
        free.append(buffer)
        var evicted: (pointer: UnsafeMutablePointer<Float>, capacity: Int)?
        if free.count > maximumPooled, let smallest = free.indices.min(by: { free[$0].capacity < free[$1].capacity }) {
            evicted = free.remove(at: smallest)
        }
        lock.unlock()
        evicted?.pointer.deallocate()
    }
}
