import Engine
import XCTest

/// Checks backward() gradients against central finite differences at sampled entries.
///
/// TestSupport's `gradientCheckError` differentiates every entry; the networks here have tens of thousands,
/// so this variant samples a few entries of every tensor to stay fast.
///
/// The scalar is loss = Σ forward()·r with fixed random weights r, so every output element matters.
/// Finite differences evaluate the loss in double from the float32 outputs without recording a graph.
/// `samplesPerTensor` random entries of every checked tensor are compared:
/// |analytic − numeric| ≤ absoluteTolerance + relativeTolerance·max(|analytic|, |numeric|).
func assertGradientsMatchFiniteDifferences(
    of forward: () -> Tensor, checking tensors: [(String, Tensor)], samplesPerTensor: Int = 2,
    seed: UInt64 = 99, eps: Float = 1e-2, absoluteTolerance: Double = 2e-3, relativeTolerance: Double = 2e-2,
    file: StaticString = #filePath, line: UInt = #line
) {
    var rng = Philox(seed: seed)
    for (_, tensor) in tensors { tensor.zeroGrad() }
    let output = forward()
    let weights = Tensor.normal(output.shape, std: 1, rng: &rng)
    (output * weights).sum().backward()
    let weightValues = weights.values.map(Double.init)
    func loss() -> Double {
        let values = withoutGrad { forward() }.values
        return zip(values, weightValues).reduce(0) { $0 + Double($1.0) * $1.1 }
    }
    for (name, tensor) in tensors {
        guard let grad = tensor.grad else {
            XCTFail("\(name): no gradient", file: file, line: line)
            continue
        }
        let analytic = grad.values
        for _ in 0..<samplesPerTensor {
            let index = rng.uniformInt(tensor.count)
            let original = tensor.values[index]
            set(tensor, index, original + eps)
            let plus = loss()
            set(tensor, index, original - eps)
            let minus = loss()
            set(tensor, index, original)
            // Divide by the step actually taken (original ± eps is rounded to float).
            let numeric = (plus - minus) / (Double(original + eps) - Double(original - eps))
            let exact = Double(analytic[index])
            let allowed = absoluteTolerance + relativeTolerance * max(abs(exact), abs(numeric))
            XCTAssertLessThanOrEqual(abs(exact - numeric), allowed,
                                     "\(name)[\(index)]: backward \(exact), finite differences \(numeric)",
                                     file: file, line: line)
        }
    }
}

private func set(_ tensor: Tensor, _ index: Int, _ value: Float) {
    tensor.withUnsafeMutableBufferPointer { $0[index] = value }
}

/// Fills a tensor in place with U(low, high) draws.
func randomize(_ tensor: Tensor, low: Float = -0.5, high: Float = 0.5, rng: inout Philox) {
    tensor.withUnsafeMutableBufferPointer { rng.fillUniform($0, low: low, high: high) }
}

/// A leaf input that records its gradient.
func input(_ shape: [Int], rng: inout Philox) -> Tensor {
    let x = Tensor.normal(shape, std: 1, rng: &rng)
    x.requiresGrad = true
    return x
}
