import Engine
import TestSupport
import XCTest

/// Checks backward() gradients against central finite differences at `samplesPerTensor` random
/// entries of every tensor (TestSupport's `gradientDisagreements`; the networks here have tens of
/// thousands of entries, too many to difference completely). The criterion is relative to each
/// tensor's gradient scale, as in the Engine's checks: |analytic − numerical| must stay below
/// `tolerance` · max(largest |numerical| of the tensor's checked entries, 1e-3), so a backward that
/// drops or zeroes small gradients fails (an absolute tolerance would let it pass).
func assertGradientsMatchFiniteDifferences(
    of forward: () -> Tensor, checking tensors: [(String, Tensor)], samplesPerTensor: Int = 6,
    seed: UInt64 = 99, eps: Float = 1e-2, tolerance: Double = 2e-2,
    file: StaticString = #filePath, line: UInt = #line
) {
    for disagreement in gradientDisagreements(tensors, samplesPerInput: samplesPerTensor, epsilon: eps, seed: seed, forward)
    where !(disagreement.error < tolerance) {
        XCTFail("\(disagreement)", file: file, line: line)
    }
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
