import XCTest
@testable import Engine

/// Shared by the kernel tests: seeded random buffers (closeness: TestSupport.assertClose).
enum KernelTestSupport {
    static func randomValues(_ count: Int, seed: UInt64, low: Float = -1, high: Float = 1) -> [Float] {
        var rng = Philox(seed: seed)
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { rng.fillUniform($0, low: low, high: high) }
        return values
    }
}
