import NN
import XCTest

final class WarmupTests: XCTestCase {
    /// LZN-ALGORITHM §9 C12.
    func testChecklistC12Values() {
        let expected: [(Int, Float)] = [(0, 0.0002), (1, 0.00039996), (2500, 0.5001), (4999, 0.99980004),
                                        (5000, 1), (20000, 1)]
        for (step, factor) in expected {
            XCTAssertEqual(warmupFactor(step: step), factor, accuracy: 1e-7, "step \(step)")
        }
        XCTAssertEqual(warmupFactor(step: 5, warmup: 10), 0.55, accuracy: 1e-7)
    }
}
