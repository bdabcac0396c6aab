import Engine
@testable import NN
import XCTest

final class ModuleTests: XCTestCase {
    func testParameterNamesFollowPropertyPathsInRegistrationOrder() {
        var rng = Philox(seed: 1)
        let block = ResBlock(8, 16, condDim: 32, rng: &rng)
        XCTAssertEqual(block.namedParameters().map(\.0), [
            "n1.weight", "n1.bias", "c1.weight", "c1.bias", "n2.weight", "n2.bias", "c2.weight", "c2.bias",
            "cond.weight", "cond.bias", "skip.weight", "skip.bias",
        ])
        XCTAssertEqual(block.namedParameters().map(\.1.shape), [
            [8], [8], [16, 8, 3, 3], [16], [16], [16], [16, 16, 3, 3], [16], [16, 32], [16], [16, 8, 1, 1], [16],
        ])
        XCTAssertTrue(block.parameters().allSatisfy(\.requiresGrad))
    }

    func testTrainAndEvalReachEveryDescendant() {
        var rng = Philox(seed: 2)
        let encoder = Encoder(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 4, rng: &rng)
        XCTAssertTrue(encoder.modules().allSatisfy(\.training))
        encoder.eval()
        XCTAssertTrue(encoder.modules().allSatisfy { !$0.training })
        XCTAssertFalse(encoder.heads[2].out.training)
        encoder.train()
        XCTAssertTrue(encoder.modules().allSatisfy(\.training))
    }

    func testStateDictRoundTripRestoresValuesAndOutputs() throws {
        var rngA = Philox(seed: 3), rngB = Philox(seed: 4), rng = Philox(seed: 5)
        let a = Encoder(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 4, rng: &rngA)
        let b = Encoder(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 4, rng: &rngB)
        let x = Tensor.normal([2, 1, 8, 8], rng: &rng)
        XCTAssertNotEqual(a(x).values, b(x).values)
        let state = a.stateDict()
        XCTAssertEqual(Set(state.keys), Set(a.namedParameters().map(\.0)))
        let bParameters = b.parameters()
        try b.load(stateDict: state)
        XCTAssertTrue(zip(bParameters, b.parameters()).allSatisfy { $0 === $1 }, "loading keeps the tensor objects")
        for (name, parameter) in b.namedParameters() { XCTAssertEqual(parameter.values, state[name]!.values, name) }
        XCTAssertEqual(a(x).values, b(x).values)
    }

    func testStateDictHoldsCopies() {
        var rng = Philox(seed: 6)
        let linear = Linear(3, 2, rng: &rng)
        let state = linear.stateDict()
        linear.weight.withUnsafeMutableBufferPointer { $0[0] = 42 }
        XCTAssertNotEqual(state["weight"]!.values[0], 42)
    }

    func testStrictLoadReportsEveryProblemAndChangesNothing() {
        var rng = Philox(seed: 7)
        let linear = Linear(3, 2, rng: &rng)
        let before = linear.weight.values
        let state: [String: Tensor] = ["weight": Tensor.zeros([2, 4]), "extra": Tensor.zeros([1])]
        XCTAssertThrowsError(try linear.load(stateDict: state)) { error in
            XCTAssertEqual(error as? NNError, .stateMismatch(target: "Linear parameters", problems: [
                .shapeMismatch(key: "weight", expected: [2, 3], found: [2, 4]),
                .missingKey("bias"),
                .unexpectedKey("extra"),
            ]))
            let message = "\(error)"
            XCTAssertTrue(message.contains("'weight' has shape [2, 4] in the state but [2, 3] in the model"), message)
            XCTAssertTrue(message.contains("missing key 'bias'"), message)
            XCTAssertTrue(message.contains("unexpected key 'extra'"), message)
        }
        XCTAssertEqual(linear.weight.values, before)
    }

    func testNonStrictLoadSkipsUnknownAndMissingKeysButNotShapes() throws {
        var rng = Philox(seed: 8)
        let linear = Linear(3, 2, rng: &rng)
        let bias = linear.bias!.values
        try linear.load(stateDict: ["weight": Tensor(shape: [2, 3], repeating: 0.5), "extra": Tensor.zeros([1])],
                        strict: false)
        XCTAssertEqual(linear.weight.values, [Float](repeating: 0.5, count: 6))
        XCTAssertEqual(linear.bias!.values, bias)
        XCTAssertThrowsError(try linear.load(stateDict: ["bias": Tensor.zeros([3])], strict: false)) { error in
            XCTAssertEqual(error as? NNError, .stateMismatch(target: "Linear parameters", problems: [
                .shapeMismatch(key: "bias", expected: [2], found: [3]),
            ]))
        }
    }

    func testZeroGradClearsEveryGradient() {
        var rng = Philox(seed: 9)
        let linear = Linear(3, 2, rng: &rng)
        linear(Tensor.normal([4, 3], rng: &rng)).sum().backward()
        XCTAssertTrue(linear.parameters().allSatisfy { $0.grad != nil })
        linear.zeroGrad()
        XCTAssertTrue(linear.parameters().allSatisfy { $0.grad == nil })
    }
}
