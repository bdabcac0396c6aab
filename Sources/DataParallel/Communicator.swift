import Dispatch
import Foundation
import Engine

/// The collectives of data-parallel training over the `size` ranks of one job (LZN-ALGORITHM §3.1
/// split over processes): every rank calls the same collectives in the same order with the same
/// counts (MPI's rule), and each call returns the same result on every rank. A failed collective is
/// fatal for the whole job (a peer died or the network broke): the rank prints what failed and the
/// job aborts, so nothing waits forever.
public protocol Communicator: AnyObject {
    /// This process's rank, 0..<size; rank 0 alone talks to the store.
    var rank: Int { get }
    /// Number of ranks in the job.
    var size: Int { get }
    /// Number of ranks on this rank's host (this one included).
    var localSize: Int { get }
    /// Seconds spent inside collectives so far (communication and waiting for the slowest rank).
    var communicationSeconds: Double { get }

    /// values ← Σ_ranks values, in place.
    func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>)
    func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>)
    /// global ← the ranks' `local` blocks concatenated in rank order (global.count = size · local.count).
    func allgather(_ local: UnsafeBufferPointer<Float>, into global: UnsafeMutableBufferPointer<Float>)
    /// local ← block `rank` of Σ_ranks global (global.count = size · local.count).
    func reduceScatterSum(_ global: UnsafeBufferPointer<Float>, into local: UnsafeMutableBufferPointer<Float>)
    /// Root's bytes on every rank (the others' `bytes` are replaced, whatever their length).
    func broadcast(_ bytes: inout [UInt8], root: Int)
    /// Ends the whole job with `code` (every rank), after printing `message` to stderr.
    func abort(_ message: String, code: Int32) -> Never
}

extension Communicator {
    /// Σ_ranks of each value.
    public func sum(_ values: [Double]) -> [Double] {
        guard size > 1 else { return values }
        var out = values
        out.withUnsafeMutableBufferPointer { allreduceSum($0) }
        return out
    }

    /// Whether `flag` is true on any rank.
    public func any(_ flag: Bool) -> Bool {
        guard size > 1 else { return flag }
        return sum([flag ? 1 : 0])[0] > 0
    }

    /// Root's value of a byte-serialisable payload on every rank.
    public func broadcast(_ bytes: [UInt8], root: Int = 0) -> [UInt8] {
        var copy = bytes
        if size > 1 { broadcast(&copy, root: root) }
        return copy
    }

    /// Sums every tensor's elements over the ranks, in place, with one collective over a
    /// concatenated buffer (one latency for the whole model instead of one per parameter).
    public func allreduceSum(_ tensors: [Tensor]) {
        guard size > 1 else { return }
        let total = tensors.reduce(0) { $0 + $1.count }
        guard total > 0 else { return }
        let flat = UnsafeMutableBufferPointer<Float>.allocate(capacity: total)
        defer { flat.deallocate() }
        var offset = 0
        for tensor in tensors {
            tensor.withUnsafeBufferPointer { source in
                _ = UnsafeMutableBufferPointer(rebasing: flat[offset..<(offset + source.count)]).initialize(from: source)
            }
            offset += tensor.count
        }
        allreduceSum(flat)
        offset = 0
        for tensor in tensors {
            tensor.withUnsafeMutableBufferPointer { target in
                for i in 0..<target.count { target[i] = flat[offset + i] }
            }
            offset += tensor.count
        }
    }
}

/// One process, no communication: every collective is the identity. The trainer's single-process
/// path, bitwise the same as before data parallelism existed.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var localSize: Int { 1 }
    public var communicationSeconds: Double { 0 }
    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>) {}
    public func allgather(_ local: UnsafeBufferPointer<Float>, into global: UnsafeMutableBufferPointer<Float>) {
        precondition(global.count == local.count, "allgather: \(global.count) floats for one rank's \(local.count)")
        _ = global.initialize(from: local)
    }
    public func reduceScatterSum(_ global: UnsafeBufferPointer<Float>, into local: UnsafeMutableBufferPointer<Float>) {
        precondition(global.count == local.count, "reduceScatterSum: \(global.count) floats for one rank's \(local.count)")
        _ = local.initialize(from: global)
    }
    public func broadcast(_ bytes: inout [UInt8], root: Int) {}
    public func abort(_ message: String, code: Int32) -> Never {
        fputs(message + "\n", stderr)
        exit(code)
    }
}

/// Wall-clock seconds of `body`, added to `total`.
@inline(__always)
func timed<R>(_ total: inout Double, _ body: () -> R) -> R {
    let start = DispatchTime.now().uptimeNanoseconds
    defer { total += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    return body()
}
