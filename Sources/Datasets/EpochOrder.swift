import Engine

/// The order in which a trainer visits a dataset (LZN-ALGORITHM.md §3.1 "Data order"): epoch `e`
/// is the permutation drawn by `Philox(seed: dataSeed + e)`, batch `i` of the epoch is the chunk
/// `[i·batchSize, (i+1)·batchSize)` of it, and the last incomplete batch is dropped.
public struct EpochOrder: Sendable {
    public let count: Int
    public let batchSize: Int
    public let dataSeed: UInt64
    private var cachedEpoch = -1
    private var cachedPermutation: [Int] = []

    public init(count: Int, batchSize: Int, dataSeed: UInt64 = 0) {
        precondition(batchSize > 0 && batchSize <= count, "EpochOrder: batch \(batchSize) for \(count) samples")
        self.count = count
        self.batchSize = batchSize
        self.dataSeed = dataSeed
    }

    /// ⌊count / batchSize⌋.
    public var batchesPerEpoch: Int { count / batchSize }

    /// The sample order of `epoch`.
    public func permutation(epoch: Int) -> [Int] {
        var rng = Philox(seed: dataSeed &+ UInt64(epoch))
        return rng.permutation(count)
    }

    /// Sample indices of batch `batch` of `epoch`.
    public mutating func indices(epoch: Int, batch: Int) -> [Int] {
        precondition(batch >= 0 && batch < batchesPerEpoch, "EpochOrder: batch \(batch) outside 0..<\(batchesPerEpoch)")
        if epoch != cachedEpoch {
            cachedPermutation = permutation(epoch: epoch)
            cachedEpoch = epoch
        }
        return Array(cachedPermutation[(batch * batchSize)..<((batch + 1) * batchSize)])
    }

    /// Sample indices of the `iteration`-th batch counted from the start of training (0-based), so a
    /// resumed run picks up exactly where it stopped.
    public mutating func indices(iteration: Int) -> [Int] {
        indices(epoch: iteration / batchesPerEpoch, batch: iteration % batchesPerEpoch)
    }
}
