import Engine
import NN
import TestSupport
import XCTest

final class AdamTests: XCTestCase {
    /// Two steps at lr 0.1 worked by hand with PyTorch's formulas:
    /// m ← m + (1−β1)(g − m), v ← β2·v + (1−β2)g², p ← p − lr/(1−β1ᵗ) · m/(√v/√(1−β2ᵗ) + ε).
    func testTwoStepsMatchHandComputedValues() {
        let p = Tensor(shape: [2], values: [1, -2])
        let adam = Adam(groups: [ParameterGroup(name: "g", parameters: [p], learningRate: 0.1)])
        p.grad = Tensor(shape: [2], values: [0.5, 0])
        adam.step()
        assertClose(p.values, [0.9, -2], tolerance: 1e-6)
        p.grad = Tensor(shape: [2], values: [-1, 3])
        adam.step()
        assertClose(p.values, [0.9366104, -2.0744137], tolerance: 1e-6)
        let state = adam.stateTensors()
        assertClose(state["g.0.exp_avg"]!.values, [-0.055, 0.3], tolerance: 1e-7)
        assertClose(state["g.0.exp_avg_sq"]!.values, [0.00124975, 0.009], tolerance: 1e-9)
        XCTAssertEqual(state["g.0.step"]!.scalar, 2)
    }

    func testLearningRateFactorScalesTheStep() {
        let p = Tensor(shape: [1], values: [1])
        let adam = Adam(groups: [ParameterGroup(name: "g", parameters: [p], learningRate: 0.1)])
        p.grad = Tensor(shape: [1], values: [2])
        adam.step(lrFactor: 0.5)
        XCTAssertEqual(p.scalar, 0.95, accuracy: 1e-6)
    }

    func testGroupsHaveOwnRatesAndFrozenGroupsAndMissingGradientsAreSkipped() {
        let a = Tensor(shape: [1], values: [0]), b = Tensor(shape: [1], values: [0])
        let c = Tensor(shape: [1], values: [0]), noGrad = Tensor(shape: [1], values: [0])
        let adam = Adam(groups: [
            ParameterGroup(name: "fast", parameters: [a, noGrad], learningRate: 0.1),
            ParameterGroup(name: "slow", parameters: [b], learningRate: 0.01),
            ParameterGroup(name: "frozen", parameters: [c], learningRate: 0.1, frozen: true),
        ])
        for tensor in [a, b, c] { tensor.grad = Tensor(shape: [1], values: [1]) }
        adam.step()
        XCTAssertEqual(a.scalar, -0.1, accuracy: 1e-6)
        XCTAssertEqual(b.scalar, -0.01, accuracy: 1e-7)
        XCTAssertEqual(c.scalar, 0)
        XCTAssertEqual(noGrad.scalar, 0)
        let state = adam.stateTensors()
        XCTAssertEqual(state["fast.1.step"]!.scalar, 0)
        XCTAssertEqual(state["frozen.0.step"]!.scalar, 0)
    }

    func testFreezingStopsGradientsButNotTheirFlowToOtherParameters() {
        var rng = Philox(seed: 1)
        let first = Linear(3, 3, rng: &rng), second = Linear(3, 1, rng: &rng)
        let adam = Adam(groups: [
            ParameterGroup(name: "first", namedParameters: first.namedParameters(), learningRate: 0.1),
            ParameterGroup(name: "second", namedParameters: second.namedParameters(), learningRate: 0.1),
        ])
        adam.setFrozen(true, group: "second")
        let frozenValues = second.weight.values
        second(first(Tensor.normal([4, 3], rng: &rng))).sum().backward()
        XCTAssertNil(second.weight.grad)
        XCTAssertNotNil(first.weight.grad)
        adam.step()
        XCTAssertEqual(second.weight.values, frozenValues)
        adam.setFrozen(false, group: "second")
        XCTAssertTrue(second.weight.requiresGrad)
        XCTAssertFalse(adam.groups[1].frozen)
    }

    func testStateRoundTripResumesBitwise() throws {
        var rng = Philox(seed: 2)
        let original = Linear(4, 3, rng: &rng)
        let resumed = Linear(4, 3, rng: &rng)
        let adamA = Adam(groups: [ParameterGroup(name: "net", namedParameters: original.namedParameters(), learningRate: 0.01)])
        let adamB = Adam(groups: [ParameterGroup(name: "net", namedParameters: resumed.namedParameters(), learningRate: 0.01)])
        let x = Tensor.normal([5, 4], rng: &rng)
        func step(_ net: Linear, _ adam: Adam) {
            net.zeroGrad()
            square(net(x)).sum().backward()
            adam.step()
        }
        for _ in 0..<3 { step(original, adamA) }
        try resumed.load(stateDict: original.stateDict())
        try adamB.load(stateTensors: adamA.stateTensors())
        XCTAssertEqual(Set(adamA.stateTensors().keys), [
            "net.weight.exp_avg", "net.weight.exp_avg_sq", "net.weight.step",
            "net.bias.exp_avg", "net.bias.exp_avg_sq", "net.bias.step",
        ])
        for _ in 0..<2 {
            step(original, adamA)
            step(resumed, adamB)
        }
        XCTAssertEqual(original.weight.values, resumed.weight.values)
        XCTAssertEqual(original.bias!.values, resumed.bias!.values)
    }

    func testLoadingMismatchedStateFailsNamingTheKey() {
        let adam = Adam(groups: [ParameterGroup(name: "g", parameters: [Tensor.zeros([2])], learningRate: 0.1)])
        var state = adam.stateTensors()
        state["g.0.exp_avg"] = Tensor.zeros([3])
        XCTAssertThrowsError(try adam.load(stateTensors: state)) { error in
            XCTAssertEqual(error as? NNError, .stateMismatch(target: "Adam state", problems: [
                .shapeMismatch(key: "g.0.exp_avg", expected: [2], found: [3]),
            ]))
        }
        state = adam.stateTensors()
        state["g.0.step"] = Tensor(scalar: -1.5)
        XCTAssertThrowsError(try adam.load(stateTensors: state)) { error in
            XCTAssertTrue("\(error)".contains("g.0.step"), "\(error)")
        }
    }
}
