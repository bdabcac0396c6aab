import XCTest
@testable import Engine

final class ShapeOpsTests: XCTestCase {
    func testReshapeIsAViewWithInferredDimension() {
        let x = Tensor(shape: [2, 6], values: (0..<12).map(Float.init))
        let y = x.reshaped([3, -1])
        XCTAssertEqual(y.shape, [3, 4])
        XCTAssertEqual(y.values, x.values)
        x.withUnsafeMutableBufferPointer { $0[0] = 42 }
        XCTAssertEqual(y.values[0], 42)
    }

    func testPermuteAndTranspose() {
        let x = Tensor(shape: [2, 3, 4], values: (0..<24).map(Float.init))
        let p = x.permuted([2, 0, 1])
        XCTAssertEqual(p.shape, [4, 2, 3])
        let pv = p.values
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            XCTAssertEqual(pv[(k * 2 + i) * 3 + j], Float((i * 3 + j) * 4 + k))
        } } }
        let t = x.transposed()
        XCTAssertEqual(t.shape, [2, 4, 3])
        XCTAssertEqual(t.values[1 * 12 + 2 * 3 + 1], Float(1 * 12 + 1 * 4 + 2))
    }

    func testConcatSliceGather() {
        let a = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 1], values: [5, 6])
        let c = concat([a, b], axis: 1)
        XCTAssertEqual(c.shape, [2, 3])
        XCTAssertEqual(c.values, [1, 2, 5, 3, 4, 6])
        XCTAssertEqual(concat([a, a], axis: 0).values, [1, 2, 3, 4, 1, 2, 3, 4])
        XCTAssertEqual(c.sliced(axis: 1, range: 1..<3).values, [2, 5, 4, 6])
        XCTAssertEqual(c.gathered(indices: [2, 0, 2], axis: 1).values, [5, 1, 5, 6, 3, 6])
        XCTAssertEqual(c.gathered(indices: [1], axis: 0).values, [3, 4, 6])
    }

    func testGradients() {
        let x = randomTensor([2, 3, 4], seed: 60)
        let y = randomTensor([2, 2, 4], seed: 61)
        assertGradientsMatch([x], "reshape") { x.reshaped([4, -1]) * x.reshaped([4, 6]) }
        assertGradientsMatch([x], "permute") { x.permuted([1, 2, 0]) }
        assertGradientsMatch([x], "transpose") { x.transposed() * 2 }
        assertGradientsMatch([x, y], "concat") { concat([x, y, x], axis: 1) }
        assertGradientsMatch([x], "slice") { x.sliced(axis: 2, range: 1..<3) }
        assertGradientsMatch([x], "gather with repeats") { x.gathered(indices: [2, 0, 2, 1], axis: 1) }
    }
}
