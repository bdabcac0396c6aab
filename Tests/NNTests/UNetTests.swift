import Engine
import NN
import XCTest

final class UNetTests: XCTestCase {
    /// Hand count of MODELS.md's `unet-s` (= the PyTorch twin's `decoder_params`), preset s, 1 channel,
    /// latent 32, unconditional labels. conv(i,o,k) = i·o·k² + o, lin(i,o) = i·o + o, GN(c) = 2c,
    /// ResBlock(i,o) = GN(i) + conv(i,o,3) + GN(o) + conv(o,o,3) + lin(128,o) [+ conv(i,o,1) if i ≠ o]:
    ///   cond lin(64,128) + lin(128,128) = 8320 + 16512; cin conv(1,16,3) = 160;
    ///   d0 RB(16,16) = 6768, down0 conv(16,16,3) = 2320, d1 RB(16,32) = 18656, down1 conv(32,32,3) = 9248,
    ///   d2 RB(32,64) = 65984, m1 = m2 = RB(64,64) = 82368 each, att = 128 + 12480 + 4160 = 16768,
    ///   u2 RB(128,64) = 127616, up2 conv(64,64,3) = 36928, u1 RB(96,32) = 44416, up1 = 9248,
    ///   u0 RB(48,16) = 12224, nout 32, cout conv(16,1,3) = 145  → 540081.
    func testParameterCountOfPresetSMatchesThePyTorchTwin() {
        var rng = Philox(seed: 1)
        let unet = UNet(preset: .s, imageChannels: 1, imageSize: 28, latentDim: 32, numClasses: 0, rng: &rng)
        XCTAssertEqual(unet.parameterCount, 540_081)
    }

    /// Preset m (2 ResBlocks per level, CIFAR shape, latent 128), hand-counted the same way.
    func testParameterCountAndNamesOfPresetM() {
        var rng = Philox(seed: 2)
        let unet = UNet(preset: .m, imageChannels: 3, imageSize: 32, latentDim: 128, numClasses: 0, rng: &rng)
        XCTAssertEqual(unet.parameterCount, 4_420_163)
        let names = unet.namedParameters().map(\.0)
        for name in ["d0_1.c1.weight", "d2_1.cond.bias", "u2.skip.weight", "u2_1.c2.weight", "u0_1.n1.bias"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertFalse(names.contains("u2_1.skip.weight"))
    }

    func testNamesFollowThePyTorchTwin() {
        var rng = Philox(seed: 3)
        let unet = UNet(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 16, numClasses: 0, rng: &rng)
        let names = unet.namedParameters().map(\.0)
        XCTAssertEqual(Array(names.prefix(8)), ["cond.0.weight", "cond.0.bias", "cond.2.weight", "cond.2.bias",
                                                "cin.weight", "cin.bias", "d0.n1.weight", "d0.n1.bias"])
        XCTAssertEqual(Array(names.suffix(4)), ["nout.weight", "nout.bias", "cout.weight", "cout.bias"])
        let blocks = ["d0", "down0", "d1", "down1", "d2", "m1", "att", "m2", "u2", "up2", "u1", "up1", "u0"]
        let firstIndex = blocks.map { block in names.firstIndex { $0.hasPrefix(block + ".") }! }
        XCTAssertEqual(firstIndex, firstIndex.sorted(), "registration order")
        XCTAssertEqual(unet.condIn.weight.shape, [128, 16 + 32])
    }

    func testOutputIsZeroAtInitialisation() {
        var rng = Philox(seed: 4)
        let unet = UNet(preset: .xs, imageChannels: 2, imageSize: 8, latentDim: 16, numClasses: 3, rng: &rng)
        XCTAssertEqual(unet.cout.weight.values, [Float](repeating: 0, count: 2 * 8 * 9))
        let out = unet(xt: Tensor.normal([2, 2, 8, 8], rng: &rng), tau: Tensor(shape: [2], values: [0.3, 0.9]),
                       latent: Tensor.normal([2, 16], rng: &rng), labelsOneHot: oneHot([0, 2], classes: 3))
        XCTAssertEqual(out.shape, [2, 2, 8, 8])
        XCTAssertEqual(out.values, [Float](repeating: 0, count: 2 * 2 * 64))
    }

    func testUnconditionalBaselineHasNoLatentInput() {
        var rng = Philox(seed: 5)
        let unet = UNet(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 0, numClasses: 0, rng: &rng)
        XCTAssertEqual(unet.condIn.weight.shape, [128, 32])
        XCTAssertEqual(unet.parameterCount, 80_729)
        randomize(unet.cout.weight, rng: &rng)
        let out = unet(xt: Tensor.normal([3, 1, 8, 8], rng: &rng), tau: Tensor(shape: [3], values: [0, 0.5, 1]),
                       latent: nil, labelsOneHot: nil)
        XCTAssertEqual(out.shape, [3, 1, 8, 8])
        XCTAssertTrue(out.allFinite)
    }

    /// PyTorch defaults everywhere (|w|, |b| ≤ 1/√fan_in and using the range), GroupNorm 1/0, output conv 0.
    func testInitialisationStatistics() {
        var rng = Philox(seed: 7)
        let unet = UNet(preset: .s, imageChannels: 1, imageSize: 28, latentDim: 32, numClasses: 10, rng: &rng)
        for module in unet.modules() where module !== unet.cout {
            let (weight, bias, fanIn): (Tensor?, Tensor?, Int)
            switch module {
            case let conv as Conv2d: (weight, bias, fanIn) = (conv.weight, conv.bias, conv.inChannels * conv.kernelSize * conv.kernelSize)
            case let linear as Linear: (weight, bias, fanIn) = (linear.weight, linear.bias, linear.inFeatures)
            case let norm as GroupNorm:
                XCTAssertEqual(Set(norm.weight.values), [1])
                XCTAssertEqual(Set(norm.bias.values), [0])
                continue
            default: continue
            }
            let bound = 1 / Float(fanIn).squareRoot()
            for tensor in [weight, bias].compactMap({ $0 }) {
                let largest = tensor.values.map(abs).max()!
                XCTAssertLessThanOrEqual(largest, bound)
                if tensor.count >= 64 { XCTAssertGreaterThan(largest, 0.8 * bound) }
            }
        }
        XCTAssertEqual(Set(unet.cout.weight.values + unet.cout.bias.values), [0])
    }

    func testDropoutDrawsFromTheGivenGeneratorInTraining() {
        var rng = Philox(seed: 8)
        let unet = UNet(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 0, numClasses: 0, dropout: 0.3, rng: &rng)
        randomize(unet.cout.weight, rng: &rng)
        let xt = Tensor.normal([2, 1, 8, 8], rng: &rng)
        let tau = Tensor(shape: [2], values: [0.2, 0.6])
        var a = Philox(seed: 1), b = Philox(seed: 1), c = Philox(seed: 2)
        let first = unet(xt: xt, tau: tau, latent: nil, labelsOneHot: nil, rng: &a).values
        XCTAssertEqual(first, unet(xt: xt, tau: tau, latent: nil, labelsOneHot: nil, rng: &b).values)
        XCTAssertNotEqual(first, unet(xt: xt, tau: tau, latent: nil, labelsOneHot: nil, rng: &c).values)
        XCTAssertTrue(unet.usesDropout)
        unet.eval()
        XCTAssertFalse(unet.usesDropout)
        XCTAssertEqual(unet(xt: xt, tau: tau, latent: nil, labelsOneHot: nil).values,
                       unet(xt: xt, tau: tau, latent: nil, labelsOneHot: nil, rng: &c).values)
    }

    func testGradientsMatchFiniteDifferencesAtPresetXs() {
        var rng = Philox(seed: 6)
        let unet = UNet(preset: .xs, imageChannels: 1, imageSize: 8, latentDim: 16, numClasses: 3, rng: &rng)
        // A zero output conv would block every gradient but its own.
        randomize(unet.cout.weight, rng: &rng)
        let xt = input([2, 1, 8, 8], rng: &rng)
        let latent = input([2, 16], rng: &rng)
        let tau = Tensor(shape: [2], values: [0.25, 0.75])
        let labels = oneHot([1, 2], classes: 3)
        assertGradientsMatchFiniteDifferences(
            of: { unet(xt: xt, tau: tau, latent: latent, labelsOneHot: labels) },
            checking: unet.namedParameters() + [("xt", xt), ("latent", latent)], samplesPerTensor: 3)
    }

    private func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        var values = [Float](repeating: 0, count: labels.count * classes)
        for (row, label) in labels.enumerated() { values[row * classes + label] = 1 }
        return Tensor(shape: [labels.count, classes], values: values)
    }
}
