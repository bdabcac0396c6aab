import TestSupport
import XCTest
@testable import Engine

final class AutodiffTests: XCTestCase {
    /// y = 3x recorded through `recordOp` with a backward rule scaled by `gradientScale`.
    private func tripled(_ x: Tensor, gradientScale: Float) -> Tensor {
        let out = Tensor(shape: x.shape, values: x.values.map { 3 * $0 })
        return recordOp("tripled", inputs: [x], output: out) { g in [g * (3 * gradientScale)] }
    }

    func testGradientCheckCatchesAWrongRule() {
        let x = randomTensor([6], seed: 100)
        XCTAssertLessThan(gradientCheckError([x]) { tripled(x, gradientScale: 1) }, 1e-3)
        XCTAssertGreaterThan(gradientCheckError([x]) { tripled(x, gradientScale: 1.05) }, 0.03)
    }

    /// A backward that returns zeros for small gradients fails the check, sampled or not, although every
    /// gradient here is below 2e-3 (the absolute tolerance the sampled network checks once had).
    func testGradientCheckCatchesABackwardThatZeroesSmallGradients() {
        let x = randomTensor([40], seed: 101)
        func small(_ x: Tensor, zeroBelow threshold: Float) -> Tensor {
            // y = 1.9e-3·x, so ∂(Σ w·y)/∂x = 1.9e-3·w with |w| < 1.
            let out = Tensor(shape: x.shape, values: x.values.map { 1.9e-3 * $0 })
            return recordOp("small", inputs: [x], output: out) { g in
                [Tensor(shape: g.shape, values: g.values.map { abs(1.9e-3 * $0) < threshold ? 0 : 1.9e-3 * $0 })]
            }
        }
        for samples in [nil, 6] {
            XCTAssertLessThan(gradientDisagreements([("x", x)], samplesPerInput: samples) { small(x, zeroBelow: 0) }[0].error, 1e-3)
            XCTAssertGreaterThan(gradientDisagreements([("x", x)], samplesPerInput: samples) { small(x, zeroBelow: 2e-3) }[0].error, 0.5)
        }
    }

    func testRecordOpSkipsUntrackedInputsAndNilGradients() {
        let constant = Tensor(shape: [2], values: [1, 2])
        XCTAssertNil(tripled(constant, gradientScale: 1).node, "no input requires grad: nothing recorded")

        let x = Tensor(shape: [2], values: [1, 2]), y = Tensor(shape: [2], values: [3, 4])
        x.requiresGrad = true
        y.requiresGrad = true
        let out = Tensor(shape: [2], values: [4, 6])
        recordOp("firstOnly", inputs: [x, y], output: out) { g in [g, nil] }
        out.sum().backward()
        XCTAssertEqual(x.grad?.values, [1, 1])
        XCTAssertNil(y.grad)
    }

    func testDiamondGraphAndDeepChain() {
        let x = Tensor(scalar: 2)
        x.requiresGrad = true
        let a = x * 3, b = x * x
        (a * b).backward()  // d(3x³)/dx = 9x² = 36
        XCTAssertEqual(x.grad?.scalar, 36)

        let w = Tensor(scalar: 1)
        w.requiresGrad = true
        var h = w
        for _ in 0..<20_000 { h = h * 1.0001 }  // deep enough to overflow a recursive walk
        h.backward()
        XCTAssertEqual(w.grad!.scalar, Float(pow(1.0001, 20_000.0)), accuracy: 1e-2)
    }

    func testBackwardFreesTheGraphAndGradsAreDetached() {
        let x = Tensor(shape: [3], values: [1, 2, 3])
        x.requiresGrad = true
        let y = exp(x)
        y.sum().backward()
        XCTAssertNil(x.grad?.node)
        XCTAssertEqual(y.node?.inputs.count, 0, "inputs and saved tensors are released after backward")
        x.zeroGrad()
        XCTAssertNil(x.grad)
    }

    func testAGraphDroppedWithoutBackwardIsFreed() {
        weak var weakOutput: Tensor?
        weak var weakIntermediate: Tensor?
        do {
            let x = Tensor(shape: [3], values: [1, 2, 3])
            x.requiresGrad = true
            let hidden = exp(x)
            let output = hidden.softmax(axis: 0) / hidden
            weakIntermediate = hidden
            weakOutput = output
        }
        XCTAssertNil(weakOutput, "rules must not retain their own output")
        XCTAssertNil(weakIntermediate)
    }

    func testDroppingADeepGraphDoesNotOverflowTheStack() {
        let w = Tensor(scalar: 1)
        w.requiresGrad = true
        var h = w
        for _ in 0..<100_000 { h = h + w }
        XCTAssertEqual(h.scalar, 100_001)
        h = w  // releases the whole chain without backward()
        XCTAssertNil(w.node)
    }

    func testConcurrentWithoutGradScopesRestoreGradMode() {
        Parallel.forEach(64) { _ in
            withoutGrad { XCTAssertFalse(isGradEnabled) }
        }
        XCTAssertTrue(isGradEnabled)
        withoutGrad {
            withoutGrad {}
            XCTAssertFalse(isGradEnabled)
        }
        XCTAssertTrue(isGradEnabled)
    }

    func testDetachedCopiesValuesWithoutGraph() {
        let x = Tensor(shape: [2], values: [1, 2])
        x.requiresGrad = true
        let y = (x * 2).detached()
        XCTAssertNil(y.node)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertEqual(y.values, [2, 4])
    }
}
