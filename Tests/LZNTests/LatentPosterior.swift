@testable import LZN

/// One evaluation of the closed-form field (LZN-ALGORITHM §1.2) through `FlowField`, the path the
/// flows take, for the posterior checklist tests: the posterior π (B×N), the data prediction
/// m = Σ_j π_j a_j (B×D) and the velocity v = (x − m)/t (B×D).
struct LatentPosterior<T: FlowScalar>: Equatable, Sendable {
    var probabilities: FlowMatrix<T>
    var mean: FlowMatrix<T>
    var velocity: FlowMatrix<T>

    /// Evaluates the field at the points `x` (B×D) at time t ∈ (0, 1] for the anchors (N×D) with
    /// optional non-negative per-anchor weights.
    init(x: FlowMatrix<T>, anchors: FlowMatrix<T>, t: Double, weights: [T]? = nil) throws {
        try FlowValidation.finite(anchors, "anchors")
        try FlowValidation.finite(x, "points")
        try FlowValidation.columns(x, anchors.columns, "points")
        try FlowValidation.weights(weights, anchorCount: anchors.rows, "weights")
        guard t > 0, t <= 1 else {
            throw LatentFlowError.invalidParameter(name: "t", reason: "must be in (0, 1], got \(t)")
        }
        let b = x.rows, d = x.columns, n = anchors.rows
        let field = FlowField(anchors: anchors, weights: weights, batch: b)
        let points = x.values.map(\.doubleValue)
        var mean = [Double](repeating: 0, count: b * d)
        let pi = points.withUnsafeBufferPointer { xb in
            mean.withUnsafeMutableBufferPointer { mb in field.evaluate(x: xb.baseAddress!, t: t, mean: mb.baseAddress!, recording: true)! }
        }
        probabilities = FlowMatrix(rows: b, columns: n, values: (0..<(b * n)).map { T(pi[$0]) })
        self.mean = FlowMatrix(rows: b, columns: d, values: mean.map { T($0) })
        velocity = FlowMatrix(rows: b, columns: d, values: zip(points, mean).map { T(($0 - $1) / t) })
    }
}
