import Engine
import TestSupport
import XCTest
@testable import LZN

/// The §9 example: anchors A (N = 3, D = 2), prior draws Z, fixed latents Y.
enum ChecklistData {
    static let anchors = FlowMatrix<Double>([[1, 0], [-1, 0], [0, 2]])
    static let prior = FlowMatrix<Double>([[0.2, -0.4], [1.0, 0.5], [-0.3, 0.8]])
    static let latents = FlowMatrix<Double>([[0.9, 0.1], [-0.7, -0.2], [0.1, 1.5]])
    static let viewOneAnchors = FlowMatrix<Double>([[-1, 0.2], [1, -0.2], [0.3, 1.8]])
}

/// A matrix is close to its rows (TestSupport's check on the flattened values, float64).
func assertClose<T: FlowScalar>(_ actual: FlowMatrix<T>, _ expected: [[Double]], tolerance: Double,
                                _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.rows, expected.count, "rows \(message)", file: file, line: line)
    for row in expected { XCTAssertEqual(actual.columns, row.count, "columns \(message)", file: file, line: line) }
    TestSupport.assertClose(actual.values, expected.flatMap { $0 }, tolerance: tolerance, message, file: file, line: line)
}

/// ‖a − b‖ / ‖b‖ over all entries.
func relativeL2<T: FlowScalar>(_ a: [T], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var num = 0.0, den = 0.0
    for (x, y) in zip(a, b) {
        num += (x.doubleValue - y) * (x.doubleValue - y)
        den += y * y
    }
    return (num / max(den, 1e-300)).squareRoot()
}

/// Seeded standard-normal test matrices (the engine's Philox).
struct TestRandom {
    private var generator: Philox
    init(seed: UInt64) { generator = Philox(seed: seed) }
    mutating func matrix(_ rows: Int, _ columns: Int, scale: Double = 1) -> FlowMatrix<Double> {
        FlowMatrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in scale * Double(generator.normal()) })
    }
}

/// Central finite differences of a scalar function of a matrix, in float64.
func numericalGradient(of matrix: FlowMatrix<Double>, step: Double = 1e-6,
                       _ f: (FlowMatrix<Double>) throws -> Double) rethrows -> [Double] {
    try (0..<matrix.values.count).map { i in
        var plus = matrix, minus = matrix
        plus.values[i] += step
        minus.values[i] -= step
        return (try f(plus) - f(minus)) / (2 * step)
    }
}

func dot(_ a: FlowMatrix<Double>, _ b: FlowMatrix<Double>) -> Double {
    zip(a.values, b.values).reduce(0) { $0 + $1.0 * $1.1 }
}
