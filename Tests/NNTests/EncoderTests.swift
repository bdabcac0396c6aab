import Engine
@testable import NN
import TestSupport
import XCTest

final class EncoderTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    /// Hand count of MODELS.md's `enc-s` (= the PyTorch twin's `encoder_params`), preset s, 1×28×28,
    /// latent 32; ResBlocks without conditioning: cin 160, b0 RB(16,16) = 4704, down0 2320,
    /// b1 RB(16,32) = 14528, down1 9248, b2 RB(32,64) = 57728; heads (1×1 conv to 4, Linear(4·s²→128),
    /// Linear(128→32)) at s = 28, 14, 7: 68 + 401536 + 4128, 132 + 100480 + 4128, 260 + 25216 + 4128
    /// → 628764.
    func testParameterCountOfPresetSMatchesThePyTorchTwin() {
        var rng = Philox(seed: 1)
        let encoder = Encoder(preset: .s, imageChannels: 1, imageSize: 28, latentDim: 32, rng: &rng)
        XCTAssertEqual(encoder.parameterCount, 628_764)
        XCTAssertEqual(encoder.heads.map(\.hidden.inFeatures), [4 * 28 * 28, 4 * 14 * 14, 4 * 7 * 7])
    }

    func testNamesFollowThePyTorchTwin() {
        var rng = Philox(seed: 2)
        let encoder = Encoder(preset: .xs, imageChannels: 3, imageSize: 8, latentDim: 16, rng: &rng)
        let names = encoder.namedParameters().map(\.0)
        XCTAssertEqual(Array(names.prefix(4)), ["cin.weight", "cin.bias", "b0.n1.weight", "b0.n1.bias"])
        XCTAssertEqual(Array(names.suffix(6)), ["heads.2.0.weight", "heads.2.0.bias", "heads.2.3.weight",
                                                "heads.2.3.bias", "heads.2.5.weight", "heads.2.5.bias"])
        XCTAssertTrue(names.contains("b1.skip.weight"))
        XCTAssertFalse(names.contains { $0.contains("cond") })
    }

    func testFeaturesAreTheGlobalAveragePooledLevels() {
        var rng = Philox(seed: 3)
        let encoder = Encoder(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 16, rng: &rng)
        let x = Tensor.normal([2, 1, 8, 8], rng: &rng)
        let features = encoder.features(x)
        XCTAssertEqual(features.shape, [2, 8 + 16 + 16])
        XCTAssertEqual(encoder(x).shape, [2, 16])
        let h0 = encoder.b0(encoder.cin(x)).values
        for sample in 0..<2 {
            for channel in 0..<8 {
                let start = (sample * 8 + channel) * 64
                let mean = h0[start..<(start + 64)].reduce(0, +) / 64
                XCTAssertEqual(features.values[sample * 40 + channel], mean, accuracy: 1e-5)
            }
        }
    }

    func testGradientsMatchFiniteDifferencesAtPresetXs() {
        var rng = Philox(seed: 4)
        let encoder = Encoder(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 16, rng: &rng)
        let x = input([2, 1, 8, 8], rng: &rng)
        assertGradientsMatchFiniteDifferences(of: { encoder(x) },
                                              checking: encoder.namedParameters() + [("x", x)], samplesPerTensor: 3)
    }

    /// Issue 2's bar: the `xs` encoder with a linear head reaches > 95% training accuracy on a
    /// synthetic separable dataset (the class is which quadrant of the image is bright).
    func testXsEncoderWithLinearHeadLearnsSeparableImages() {
        var rng = Philox(seed: 5)
        let (count, classes, side) = (64, 4, 8)
        var pixels = [Float](repeating: 0, count: count * side * side)
        let labels = (0..<count).map { $0 % classes }
        for (sample, label) in labels.enumerated() {
            for row in 0..<side {
                for column in 0..<side {
                    let quadrant = (row < side / 2 ? 0 : 2) + (column < side / 2 ? 0 : 1)
                    let signal: Float = quadrant == label ? 1 : -1
                    pixels[(sample * side + row) * side + column] = signal + 0.5 * rng.normal()
                }
            }
        }
        let images = Tensor(shape: [count, 1, side, side], values: pixels)
        let encoder = Encoder(preset: .xs, imageChannels: 1, imageSize: side, latentDim: 16, rng: &rng)
        let head = Linear(16, classes, rng: &rng)
        let adam = Adam(groups: [
            ParameterGroup(name: "encoder", namedParameters: encoder.namedParameters(), learningRate: 3e-3),
            ParameterGroup(name: "head", namedParameters: head.namedParameters(), learningRate: 3e-3),
        ])
        for _ in 0..<20 {
            encoder.zeroGrad()
            head.zeroGrad()
            crossEntropy(logits: head(encoder(images)), labels: labels).backward()
            adam.step()
        }
        encoder.eval()
        let logits = withoutGrad { head(encoder(images)) }.values
        let correct = labels.enumerated().filter { sample, label in
            let row = Array(logits[(sample * classes)..<((sample + 1) * classes)])
            return row.firstIndex(of: row.max()!) == label
        }.count
        XCTAssertGreaterThan(Double(correct) / Double(count), 0.95)
    }
}

/// The pooled contrastive head of case study 2 (MODELS.md).
final class ContrastiveHeadTests: XCTestCase {
    func testShapeNamesAndNormalisedOutputs() {
        var rng = Philox(seed: 7)
        let head = ContrastiveHead(inFeatures: 40, outFeatures: 16, rng: &rng)
        XCTAssertEqual(head.namedParameters().map(\.0).sorted(),
                       ["0.weight", "1.bias", "1.weight", "3.weight", "4.bias", "4.weight"])
        let x = Tensor.normal([6, 40], std: 3, rng: &rng)
        let y = head(x)
        XCTAssertEqual(y.shape, [6, 16])
        // At initialisation (scale 1, shift 0) each group of 8 outputs of each row has mean 0 and variance
        // v/(v + eps) ≤ 1, close to 1 unless the group's pre-norm values nearly coincide.
        var variances: [Double] = []
        for row in 0..<6 {
            for group in 0..<2 {
                let values = (0..<8).map { Double(y.values[row * 16 + group * 8 + $0]) }
                let mean = values.reduce(0, +) / 8
                XCTAssertEqual(mean, 0, accuracy: 1e-5)
                variances.append(values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8)
            }
        }
        XCTAssertLessThanOrEqual(variances.max()!, 1 + 1e-5)
        XCTAssertGreaterThan(variances.reduce(0, +) / Double(variances.count), 0.9)
    }

    func testGroupsDivideTheWidth() {
        XCTAssertEqual(ContrastiveHead.groups(112), 8)
        XCTAssertEqual(ContrastiveHead.groups(64), 8)
        XCTAssertEqual(ContrastiveHead.groups(40), 5)
        XCTAssertEqual(ContrastiveHead.groups(32), 4)
        XCTAssertEqual(ContrastiveHead.groups(30), 3)
        XCTAssertEqual(ContrastiveHead.groups(16), 2)
        XCTAssertEqual(ContrastiveHead.groups(7), 1)
    }

    func testGradientsMatchFiniteDifferences() {
        var rng = Philox(seed: 8)
        let head = ContrastiveHead(inFeatures: 24, outFeatures: 16, rng: &rng)
        // Non-trivial affine GroupNorm parameters; the linear layers keep their PyTorch initialisation.
        for norm in [head.hiddenNorm, head.outNorm] {
            randomize(norm.weight, low: 0.5, high: 1.5, rng: &rng)
            randomize(norm.bias, low: -0.5, high: 0.5, rng: &rng)
        }
        let x = Tensor.normal([5, 24], rng: &rng)
        x.requiresGrad = true
        assertGradientsMatchFiniteDifferences(of: { head(x) }, checking: [("x", x)] + head.namedParameters(),
                                              samplesPerTensor: 6, eps: 1e-3)
    }

    func testThePooledEncoderReadsItsAnchorsFromTheProbedFeatures() {
        var rng = Philox(seed: 9)
        let encoder = Encoder(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 16, head: .pooled, rng: &rng)
        XCTAssertTrue(encoder.heads.isEmpty)
        XCTAssertTrue(encoder.namedParameters().contains { $0.0 == "head.3.weight" })
        let x = Tensor.normal([4, 1, 8, 8], rng: &rng)
        let (anchors, features) = encoder.anchorsAndFeatures(x)
        XCTAssertEqual(features.shape, [4, 40])
        XCTAssertEqual(anchors.values, encoder.contrastiveHead!(features).values)
        XCTAssertEqual(encoder(x).values, anchors.values)
    }
}
