import Engine
import TestSupport
import XCTest

/// Asserts that backward() through `f` matches central finite differences for every input
/// (see `gradientCheckError` in TestSupport). Shared by all EngineTests files.
func assertGradientsMatch(_ inputs: [Tensor], _ what: String = "", epsilon: Float = 1e-2,
                          tolerance: Double = 2e-3, file: StaticString = #filePath, line: UInt = #line,
                          _ f: () -> Tensor) {
    let error = gradientCheckError(inputs, epsilon: epsilon, f)
    XCTAssertLessThan(error, tolerance, "gradient check \(what): relative error \(error)", file: file, line: line)
}

/// A seeded tensor with uniform values in [low, high).
func randomTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = Philox(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, rng: &rng)
}
