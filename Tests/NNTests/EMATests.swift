import Engine
import NN
import TestSupport
import XCTest

final class EMATests: XCTestCase {
    /// LZN-ALGORITHM §3.1 example values of d_n = min(d, (1 + n)/(10 + n)).
    func testEffectiveDecayFollowsUseNumUpdates() {
        XCTAssertEqual(EMA.effectiveDecay(0.999999, update: 1), 0.181818, accuracy: 1e-6)
        XCTAssertEqual(EMA.effectiveDecay(0.999999, update: 10), 0.55, accuracy: 1e-6)
        XCTAssertEqual(EMA.effectiveDecay(0.999999, update: 100), 0.918182, accuracy: 1e-6)
        XCTAssertEqual(EMA.effectiveDecay(0.999999, update: 1000), 0.991089, accuracy: 1e-6)
        XCTAssertEqual(EMA.effectiveDecay(0.999999, update: 50000), 0.999820, accuracy: 1e-6)
        XCTAssertEqual(EMA.effectiveDecay(0.9, update: 100), 0.9)
    }

    func testUpdatesMoveTheShadowTowardTheParameters() {
        let p = Tensor(shape: [2], values: [0, 10])
        let ema = EMA(parameters: [p], decay: 0.999)
        p.overwriteForTest([1, 0])
        ema.update()   // d1 = 2/11: s = 0 − (9/11)(0 − 1), 10 − (9/11)(10 − 0)
        assertClose(ema.shadow[0].values, [9.0 / 11, 20.0 / 11], tolerance: 1e-6)
        ema.update()   // d2 = 3/12
        assertClose(ema.shadow[0].values, [9.0 / 11 + 0.75 * (1 - 9.0 / 11), 0.25 * 20.0 / 11], tolerance: 1e-6)
        XCTAssertEqual(ema.numUpdates, 2)
    }

    func testSwapExchangesAndRestores() {
        let p = Tensor(shape: [1], values: [0])
        let ema = EMA(parameters: [p], decay: 0.999)
        p.overwriteForTest([11])
        ema.update()
        let averaged = ema.shadow[0].scalar
        let seen = ema.withAveragedParameters { p.scalar }
        XCTAssertEqual(seen, averaged)
        XCTAssertEqual(p.scalar, 11)
        XCTAssertEqual(ema.shadow[0].scalar, averaged)
    }

    func testStateRoundTrip() throws {
        let p = Tensor(shape: [3], values: [1, 2, 3])
        let ema = EMA(namedParameters: [("w", p)], decay: 0.99)
        p.overwriteForTest([4, 5, 6])
        ema.update()
        let other = EMA(namedParameters: [("w", Tensor(shape: [3], values: [0, 0, 0]))], decay: 0.99)
        try other.load(stateTensors: ema.stateTensors())
        XCTAssertEqual(other.numUpdates, 1)
        XCTAssertEqual(other.shadow[0].values, ema.shadow[0].values)
        XCTAssertThrowsError(try other.load(stateTensors: ["num_updates": Tensor(scalar: 1)])) { error in
            XCTAssertEqual(error as? NNError, .stateMismatch(target: "EMA state", problems: [.missingKey("shadow.w")]))
        }
    }
}

extension Tensor {
    func overwriteForTest(_ values: [Float]) {
        withUnsafeMutableBufferPointer { buffer in
            for i in 0..<buffer.count { buffer[i] = values[i] }
        }
    }
}
