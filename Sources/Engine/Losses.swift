import Foundation

/// Fused losses (one pass forward, closed-form backward).

/// Mean over the batch of −log softmax(logits)[label]; logits [B, K], labels in 0..<K.
public func crossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                 "crossEntropy: logits \(logits.shape) for \(labels.count) labels")
    let (batch, classes) = (logits.shape[0], logits.shape[1])
    precondition(labels.allSatisfy { (0..<classes).contains($0) }, "crossEntropy: label outside 0..<\(classes)")
    let lse = Tensor(uninitializedShape: [batch])
    axisLogSumExp(logits.data, lse.data, AxisLayout(shape: logits.shape, axis: 1, op: "crossEntropy"))
    var total = 0.0
    for (row, label) in labels.enumerated() {
        total += Double(lse.data[row] - logits.data[row * classes + label])
    }
    let out = Tensor(scalar: Float(total / Double(Swift.max(batch, 1))))
    return recordOp("crossEntropy", inputs: [logits], output: out) { g in
        // (softmax − onehot) · g / B
        let scale = g.scalar / Float(batch)
        let dx = Tensor(uninitializedShape: logits.shape)
        for row in 0..<batch {
            let x = logits.data + row * classes, d = dx.data + row * classes, shift = lse.data[row]
            for j in 0..<classes { d[j] = scale * fastExp(x[j] - shift) }
            d[labels[row]] -= scale
        }
        return [dx]
    }
}

/// Mean over all elements of (a − b)²; shapes must match.
public func mseLoss(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "mseLoss: shapes \(a.shape) and \(b.shape) differ")
    let diff = zipMap(a, b, Subtract())
    let sumOfSquares = diff.withUnsafeBufferPointer { VectorMath.sumOfSquaredDeviations($0.baseAddress!, count: $0.count, center: 0) }
    let out = Tensor(scalar: sumOfSquares / Float(Swift.max(a.count, 1)))
    return recordOp("mseLoss", inputs: [a, b], output: out) { g in
        let scale = 2 * g.scalar / Float(Swift.max(a.count, 1))
        let da = unaryMap(diff, MultiplyScalar(s: scale))
        return [a.isTracked ? da : nil, b.isTracked ? -da : nil]
    }
}
