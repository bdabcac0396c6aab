import Foundation

/// Times below which a float32 flow computes its distance matrix in float64 (LZN-ALGORITHM §1.8).
/// The GEMM expansion ‖x‖² − 2c x·a + c²‖a‖² rounds at about ε₃₂‖a‖²; divided by 2t² that is
/// harmless for t ≥ 0.05 but destroys the posterior at the forward flows' first evaluation
/// (t = 1e-4 or 1e-3), where the own anchor's distance is only ~t‖z‖.
let float64DistanceTimeThreshold = 0.05

/// An anchor set prepared once per flow: the anchors, their squared norms, log-weights, and (for
/// float32 flows) a float64 copy for the small-t distance matrices.
final class AnchorSet<T: FlowScalar> {
    let count: Int
    let dimension: Int
    let values: UnsafeMutablePointer<T>
    let squaredNorms: UnsafeMutablePointer<Double>
    /// log w_j, −∞ for zero weights; nil for uniform weights.
    let logWeights: UnsafeMutablePointer<Double>?
    /// Float64 copy of `values` (only when T needs wide distances).
    let wideValues: UnsafeMutablePointer<Double>?

    init(_ anchors: FlowMatrix<T>, weights: [T]?) {
        count = anchors.rows
        dimension = anchors.columns
        values = .allocate(capacity: count * dimension)
        values.initialize(from: anchors.values, count: count * dimension)
        squaredNorms = .allocate(capacity: count)
        for j in 0..<count {
            var sum = 0.0
            for k in 0..<dimension {
                let v = values[j * dimension + k].doubleValue
                sum += v * v
            }
            squaredNorms[j] = sum
        }
        if let weights {
            let logs = UnsafeMutablePointer<Double>.allocate(capacity: count)
            for j in 0..<count {
                let w = weights[j].doubleValue
                logs[j] = w > 0 ? Foundation.log(w) : -.infinity
            }
            logWeights = logs
        } else {
            logWeights = nil
        }
        if T.needsWideDistances {
            let wide = UnsafeMutablePointer<Double>.allocate(capacity: count * dimension)
            for i in 0..<(count * dimension) { wide[i] = values[i].doubleValue }
            wideValues = wide
        } else {
            wideValues = nil
        }
    }

    deinit {
        values.deallocate()
        squaredNorms.deallocate()
        logWeights?.deallocate()
        wideValues?.deallocate()
    }

    /// Whether an evaluation at time t computes its distances in float64.
    func usesWideDistances(at t: Double) -> Bool {
        wideValues != nil && t < float64DistanceTimeThreshold
    }

    /// Per-anchor part of the score s_bj = (c/t²)·x_b·a_j + bias_j (the row-constant −‖x_b‖²/2t²
    /// is dropped: the row max-shift removes it): bias_j = log w_j − c²‖a_j‖²/(2t²).
    func scoreBias<S: FlowScalar>(t: Double, into bias: UnsafeMutablePointer<S>) {
        let c = 1 - t
        let factor = -0.5 * c * c / (t * t)
        for j in 0..<count {
            bias[j] = S(factor * squaredNorms[j] + (logWeights?[j] ?? 0))
        }
    }
}
