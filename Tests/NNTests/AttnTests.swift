import Engine
import NN
import Foundation
import TestSupport
import XCTest

final class AttnTests: XCTestCase {
    /// The PyTorch twin's einsum formulation, written as loops over the module's own q, k, v.
    func testMatchesSingleHeadAttentionOverPositions() {
        var rng = Philox(seed: 1)
        let (b, c, side) = (2, 8, 3)
        let positions = side * side
        let attn = Attn(c, rng: &rng)
        let x = Tensor.normal([b, c, side, side], rng: &rng)
        let qkv = attn.qkv(attn.n(x)).values
        var o = [Float](repeating: 0, count: b * c * positions)
        for batch in 0..<b {
            func at(_ part: Int, _ channel: Int, _ position: Int) -> Double {
                Double(qkv[((batch * 3 * c) + part * c + channel) * positions + position])
            }
            for i in 0..<positions {
                var logits = (0..<positions).map { j in
                    (0..<c).reduce(0.0) { $0 + at(0, $1, i) * at(1, $1, j) } / Double(c).squareRoot()
                }
                let largest = logits.max()!
                logits = logits.map { Foundation.exp($0 - largest) }
                let total = logits.reduce(0, +)
                for channel in 0..<c {
                    let value = (0..<positions).reduce(0.0) { $0 + logits[$1] / total * at(2, channel, $1) }
                    o[(batch * c + channel) * positions + i] = Float(value)
                }
            }
        }
        let expected = (x + attn.proj(Tensor(shape: [b, c, side, side], values: o))) / Float(2).squareRoot()
        assertClose(attn(x).values, expected.values, tolerance: 1e-5)
    }

    func testNames() {
        var rng = Philox(seed: 2)
        XCTAssertEqual(Attn(16, rng: &rng).namedParameters().map { "\($0.0)\($0.1.shape)" }, [
            "n.weight[16]", "n.bias[16]", "qkv.weight[48, 16, 1, 1]", "qkv.bias[48]",
            "proj.weight[16, 16, 1, 1]", "proj.bias[16]",
        ])
    }

    func testGradientsMatchFiniteDifferences() {
        var rng = Philox(seed: 3)
        let attn = Attn(8, rng: &rng)
        let x = input([2, 8, 3, 3], rng: &rng)
        assertGradientsMatchFiniteDifferences(of: { attn(x) }, checking: attn.namedParameters() + [("x", x)])
    }
}
