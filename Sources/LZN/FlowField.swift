import Engine
import Foundation

/// Times below which a float32 flow evaluates its posterior in float64 (LZN-ALGORITHM §1.8).
/// The GEMM expansion ‖x‖² − 2c x·a + c²‖a‖² rounds at about ε₃₂‖a‖²; divided by 2t² that is
/// harmless for t ≥ 0.05 but destroys the posterior at the forward flows' first evaluation
/// (t = 1e-4 or 1e-3), where the own anchor's distance is only ~t‖z‖.
let float64PosteriorTimeThreshold = 0.05

/// The closed-form field of one anchor set (with optional weights) for a batch of B queries:
/// routes each evaluation to a float32 or a float64 `PosteriorKernel` by precision and time.
final class FlowField {
    let batch: Int
    let count: Int
    let dimension: Int
    let singlePrecision: Bool
    private let anchors: [Double]
    private let logWeights: [Double]?
    private var fast: PosteriorKernel<Float>?
    private var precise: PosteriorKernel<Double>?

    init<T: FlowScalar>(anchors: FlowMatrix<T>, weights: [T]?, batch: Int) {
        BLASKernelSelection.ensureSelected()
        self.batch = batch
        count = anchors.rows
        dimension = anchors.columns
        singlePrecision = T.isSinglePrecision
        self.anchors = anchors.values.map(\.doubleValue)
        logWeights = weights?.map { $0 > 0 ? Foundation.log($0.doubleValue) : -.infinity }
    }

    /// A read-only view of the last evaluation's posterior, whichever kernel produced it.
    enum Probabilities {
        case float(UnsafePointer<Float>)
        case double(UnsafePointer<Double>)

        subscript(index: Int) -> Double {
            switch self {
            case .float(let p): return Double(p[index])
            case .double(let p): return p[index]
            }
        }
    }

    private func usesFloat32(at t: Double) -> Bool { singlePrecision && t >= float64PosteriorTimeThreshold }

    private func fastKernel() -> PosteriorKernel<Float> {
        if let fast { return fast }
        let kernel = anchors.withUnsafeBufferPointer {
            PosteriorKernel<Float>(anchors: $0.baseAddress!, count: count, dimension: dimension,
                                   logWeights: logWeights, batch: batch)
        }
        fast = kernel
        return kernel
    }

    private func preciseKernel() -> PosteriorKernel<Double> {
        if let precise { return precise }
        let kernel = anchors.withUnsafeBufferPointer {
            PosteriorKernel<Double>(anchors: $0.baseAddress!, count: count, dimension: dimension,
                                    logWeights: logWeights, batch: batch)
        }
        precise = kernel
        return kernel
    }

    /// m = πA at (x, t); with `recording`, returns the view of the B×N π (valid until the next call).
    /// `keptAs` (the evaluation's index) lets the gradient of the same evaluation reuse its posterior.
    @discardableResult
    func evaluate(x: UnsafePointer<Double>, t: Double, mean: UnsafeMutablePointer<Double>, recording: Bool,
                  keptAs evaluation: Int? = nil) -> Probabilities? {
        if usesFloat32(at: t) {
            return fastKernel().evaluate(x: x, t: t, mean: mean, recording: recording, keptAs: evaluation).map { .float($0) }
        }
        return preciseKernel().evaluate(x: x, t: t, mean: mean, recording: recording, keptAs: evaluation).map { .double($0) }
    }

    func accumulateGradient(x: UnsafePointer<Double>, t: Double, meanGradient: UnsafePointer<Double>?,
                            probabilityGradient: [ProbabilityGradientEntry<Double>],
                            xGradient: UnsafeMutablePointer<Double>, anchorGradient: UnsafeMutablePointer<Double>,
                            keptAs evaluation: Int? = nil) {
        if usesFloat32(at: t) {
            fastKernel().accumulateGradient(x: x, t: t, meanGradient: meanGradient, probabilityGradient: probabilityGradient,
                                            xGradient: xGradient, anchorGradient: anchorGradient, keptAs: evaluation)
        } else {
            preciseKernel().accumulateGradient(x: x, t: t, meanGradient: meanGradient, probabilityGradient: probabilityGradient,
                                               xGradient: xGradient, anchorGradient: anchorGradient, keptAs: evaluation)
        }
    }
}
