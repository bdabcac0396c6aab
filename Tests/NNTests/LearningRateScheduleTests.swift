import NN
import XCTest

final class LearningRateScheduleTests: XCTestCase {
    /// LZN-ALGORITHM §9 C12.
    func testChecklistC12Values() {
        let expected: [(Int, Float)] = [(0, 0.0002), (1, 0.00039996), (2500, 0.5001), (4999, 0.99980004),
                                        (5000, 1), (20000, 1)]
        for (step, factor) in expected {
            XCTAssertEqual(warmupFactor(step: step), factor, accuracy: 1e-7, "step \(step)")
        }
        XCTAssertEqual(warmupFactor(step: 5, warmup: 10), 0.55, accuracy: 1e-7)
    }

    func testTheConstantScheduleIsTheWarmUpAlone() {
        for step in [0, 5, 10, 99, 100, 5000] {
            XCTAssertEqual(learningRateFactor(step: step, warmup: 10, total: 100, schedule: .constant),
                           warmupFactor(step: step, warmup: 10), "step \(step)")
        }
    }

    /// Warm-up 10 of 110 steps: the cosine starts at the end of the warm-up and reaches 0 at step 110.
    func testTheCosineDecaysFromTheEndOfTheWarmUpToZeroAtTheLastStep() {
        let expected: [(Int, Float)] = [(5, 0.55), (10, 1), (35, 0.8535534), (60, 0.5), (85, 0.1464466),
                                        (110, 0), (200, 0)]
        for (step, factor) in expected {
            XCTAssertEqual(learningRateFactor(step: step, warmup: 10, total: 110, schedule: .cosine), factor,
                           accuracy: 1e-6, "step \(step)")
        }
        XCTAssertEqual(learningRateFactor(step: 7, warmup: 10, total: 8, schedule: .cosine),
                       warmupFactor(step: 7, warmup: 10), "no room after the warm-up: the warm-up alone")
    }
}
