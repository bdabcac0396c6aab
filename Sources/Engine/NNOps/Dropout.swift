/// Inverted dropout: in training, each element is zeroed with probability `p` and the rest scaled by
/// 1/(1 − p); the mask comes from `rng` (one uniform draw per element, so it does not depend on the
/// thread count). Outside training, or with p = 0, returns `x` itself and draws nothing.
public func dropout(_ x: Tensor, p: Float, rng: inout Philox, training: Bool) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout: probability \(p) outside [0, 1]")
    guard training && p > 0 else { return x }
    let mask = Tensor(uninitializedShape: x.shape)
    mask.withUnsafeMutableBufferPointer { mask in
        if let shard = BatchRows.current, x.count > 0 {
            // One data-parallel rank's rows of the mask the whole batch would draw.
            precondition(x.shape[0] == shard.rows.count, "dropout: \(x.shape[0]) rows inside withBatchRows(\(shard.rows), of: \(shard.total))")
            let perRow = x.count / x.shape[0]
            rng.fillUniform(mask, low: 0, high: 1, slice: (shard.rows.lowerBound * perRow)..<(shard.rows.upperBound * perRow),
                            of: shard.total * perRow)
        } else {
            rng.fillUniform(mask, low: 0, high: 1)
        }
    }
    let keptScale: Float = p < 1 ? 1 / (1 - p) : 0
    let output = Tensor(uninitializedShape: x.shape)
    let (m, source, target) = (mask.data, x.data, output.data)
    Parallel.ranges(x.count, grain: 1 << 15) { range in
        for i in range {
            m[i] = m[i] < p ? 0 : keptScale
            target[i] = source[i] * m[i]
        }
    }
    return recordOp("dropout", inputs: [x], output: output) { outputGrad in
        let inputGrad = Tensor(uninitializedShape: x.shape)
        let (g, kept, d) = (outputGrad.data, mask.data, inputGrad.data)
        Parallel.ranges(x.count, grain: 1 << 15) { range in
            for i in range { d[i] = g[i] * kept[i] }
        }
        return [inputGrad]
    }
}

/// Rows `rows` of a batch of `total` rows: the part of the global batch one data-parallel rank
/// computes. Inside `withBatchRows`, random ops on batch-major tensors (dropout) draw what the whole
/// batch would draw and keep these rows, so a split batch sees the single-process numbers.
public struct BatchRows: Sendable {
    public let rows: Range<Int>
    public let total: Int

    /// The shard active on the op-issuing thread (ops are issued from one thread at a time).
    nonisolated(unsafe) static var current: BatchRows?
}

/// Runs `body` with random batch-major ops drawing rows `rows` of a `total`-row batch.
public func withBatchRows<R>(_ rows: Range<Int>, of total: Int, _ body: () throws -> R) rethrows -> R {
    precondition(rows.lowerBound >= 0 && rows.upperBound <= total, "withBatchRows: \(rows) of \(total)")
    let saved = BatchRows.current
    BatchRows.current = BatchRows(rows: rows, total: total)
    defer { BatchRows.current = saved }
    return try body()
}
