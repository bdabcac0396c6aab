import Engine
import NN
import Foundation
import TestSupport
import XCTest

final class TimestepEmbeddingTests: XCTestCase {
    /// LZN-ALGORITHM §9 C13: nf = 128 at τ = 0.5 (T = 499.5).
    func testMatchesChecklistC13() {
        let embedding = timestepEmbedding(Tensor(shape: [2], values: [0.5, 0]), dim: 128)
        XCTAssertEqual(embedding.shape, [2, 128])
        let row = Array(embedding.values[0..<128])
        assertClose(Array(row[0..<3]), [0.013232, -0.918408, 0.833130], tolerance: 2e-4)
        assertClose(Array(row[64..<67]), [-0.999912, -0.395635, -0.553077], tolerance: 2e-4)
        assertClose([row[127]], [0.998753], tolerance: 2e-4)
        let atZero = Array(embedding.values[128..<256])
        XCTAssertEqual(atZero, [Float](repeating: 0, count: 64) + [Float](repeating: 1, count: 64), "sines first")
    }

    func testDefaultDimensionAndNoGradient() {
        let tau = Tensor(shape: [3], values: [0.1, 0.2, 0.3])
        tau.requiresGrad = true
        let embedding = timestepEmbedding(tau)
        XCTAssertEqual(embedding.shape, [3, 32])
        XCTAssertFalse(embedding.requiresGrad)
        // The last frequency is exp(−ln 10000) = 1e-4: sin(999·0.3·1e-4).
        XCTAssertEqual(embedding.values[2 * 32 + 15], Float(Foundation.sin(999 * 0.3 * 1e-4)), accuracy: 1e-6)
    }
}
