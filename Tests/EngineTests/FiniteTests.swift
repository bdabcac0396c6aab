import XCTest
@testable import Engine

final class FiniteTests: XCTestCase {
    func testDetectsNaNAndInfinityAnywhere() {
        for count in [1, 15, 16, 17, 1000] {
            let t = randomTensor([count], seed: 90, low: -1e30, high: 1e30)
            XCTAssertTrue(t.allFinite)
            for bad in [Float.nan, .infinity, -.infinity] {
                for position in [0, count / 2, count - 1] {
                    let u = t.detached()
                    u.withUnsafeMutableBufferPointer { $0[position] = bad }
                    XCTAssertFalse(u.allFinite, "\(bad) at \(position) of \(count)")
                }
            }
        }
        XCTAssertTrue(Tensor(shape: [0]).allFinite)
    }
}
