import XCTest
@testable import Engine

/// Shared by the kernel tests: seeded random buffers and an elementwise closeness check.
enum KernelTestSupport {
    static func randomValues(_ count: Int, seed: UInt64, low: Float = -1, high: Float = 1) -> [Float] {
        var rng = Philox(seed: seed)
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { rng.fillUniform($0, low: low, high: high) }
        return values
    }

    /// |actual − expected| ≤ tolerance · (1 + |expected|) everywhere; reports the worst index.
    static func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(what): element count", file: file, line: line)
        var worst = (index: -1, excess: Float(0))
        for i in 0..<min(actual.count, expected.count) {
            let excess = abs(actual[i] - expected[i]) - tolerance * (1 + abs(expected[i]))
            if !(excess <= worst.excess) { worst = (i, excess.isNaN ? .infinity : excess) }
        }
        if worst.index >= 0 {
            XCTFail("\(what): element \(worst.index) is \(actual[worst.index]), expected \(expected[worst.index])",
                    file: file, line: line)
        }
    }
}
