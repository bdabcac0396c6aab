import XCTest
@testable import Engine

final class LossesTests: XCTestCase {
    func testCrossEntropyValue() {
        let logits = Tensor(shape: [2, 3], values: [1, 2, 3, 0, 0, 0])
        let expected = ((Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0)) - 3) + Foundation.log(3.0)) / 2
        XCTAssertEqual(Double(crossEntropy(logits: logits, labels: [2, 1]).scalar), expected, accuracy: 1e-6)
    }

    func testMSEValue() {
        let a = Tensor(shape: [2, 2], values: [1, 2, 3, 4]), b = Tensor(shape: [2, 2], values: [1, 0, 3, 0])
        XCTAssertEqual(mseLoss(a, b).scalar, (4 + 16) / 4)
    }

    func testGradients() {
        let logits = randomTensor([4, 5], seed: 80, low: -2, high: 2)
        assertGradientsMatch([logits], "crossEntropy") { crossEntropy(logits: logits, labels: [0, 4, 2, 2]) }
        let a = randomTensor([3, 4], seed: 81), b = randomTensor([3, 4], seed: 82)
        assertGradientsMatch([a, b], "mseLoss") { mseLoss(a, b) }
    }
}
