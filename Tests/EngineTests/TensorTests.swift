import XCTest
@testable import Engine

final class TensorTests: XCTestCase {
    func testInitialisersAndAccessors() {
        let t = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t.rank, 2)
        XCTAssertEqual(t.values, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Tensor(shape: [2], repeating: 7).values, [7, 7])
        XCTAssertEqual(Tensor.zeros([3]).values, [0, 0, 0])
        XCTAssertEqual(Tensor(scalar: 4).scalar, 4)
        XCTAssertEqual(Tensor(scalar: 4).shape, [])
        XCTAssertNil(t.grad)
        XCTAssertFalse(t.requiresGrad)
    }

    func testBufferAccessWritesThrough() {
        let t = Tensor.zeros([4])
        t.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = Float(i) }
        }
        XCTAssertEqual(t.withUnsafeBufferPointer { $0.reduce(0, +) }, 6)
    }

    func testSeededFactoriesAreReproducible() {
        var a = Philox(seed: 3), b = Philox(seed: 3)
        XCTAssertEqual(Tensor.normal([5], std: 2, rng: &a).values, Tensor.normal([5], std: 2, rng: &b).values)
        let u = Tensor.uniform([1000], low: -2, high: -1, rng: &a).values
        XCTAssertTrue(u.allSatisfy { $0 >= -2 && $0 < -1 })
    }

    func testViewsKeepTheirBaseAlive() {
        var view: Tensor?
        do {
            let base = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
            view = base.reshaped([4])
        }
        XCTAssertEqual(view?.values, [1, 2, 3, 4])
    }
}
