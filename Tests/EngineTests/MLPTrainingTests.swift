import TestSupport
import XCTest
@testable import Engine

/// A two-hidden-layer MLP made directly of tensors, trained with plain SGD on points labelled by
/// whether they lie inside a circle (separable, but not linearly).
final class MLPTrainingTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    private struct Layer {
        let weight: Tensor
        let bias: Tensor

        init(_ inputs: Int, _ outputs: Int, rng: inout Philox) {
            weight = Tensor.normal([inputs, outputs], std: (2 / Float(inputs)).squareRoot(), rng: &rng)
            bias = Tensor.zeros([outputs])
            weight.requiresGrad = true
            bias.requiresGrad = true
        }

        func callAsFunction(_ x: Tensor) -> Tensor { matmul(x, weight) + bias }
    }

    func testReachesHighTrainingAccuracyOnACircleDataset() {
        var rng = Philox(seed: 2024)
        var points: [Float] = [], labels: [Int] = []
        while labels.count < 256 {
            let x = rng.uniform() * 2 - 1, y = rng.uniform() * 2 - 1
            let radius = (x * x + y * y).squareRoot()
            if Swift.abs(radius - 0.6) < 0.08 { continue }  // a margin around the boundary
            points += [x, y]
            labels.append(radius < 0.6 ? 1 : 0)
        }
        let inputs = Tensor(shape: [labels.count, 2], values: points)
        let layers = [Layer(2, 32, rng: &rng), Layer(32, 32, rng: &rng), Layer(32, 2, rng: &rng)]
        let parameters = layers.flatMap { [$0.weight, $0.bias] }
        func logits() -> Tensor { layers[2](relu(layers[1](relu(layers[0](inputs))))) }

        for _ in 0..<300 {
            crossEntropy(logits: logits(), labels: labels).backward()
            for p in parameters {
                let grad = p.grad!
                p.withUnsafeMutableBufferPointer { values in
                    grad.withUnsafeBufferPointer { g in
                        for i in values.indices { values[i] -= 0.5 * g[i] }
                    }
                }
                p.zeroGrad()
            }
        }

        let predictions = withoutGrad { logits() }.values
        let correct = labels.indices.filter { i in
            (predictions[2 * i + 1] > predictions[2 * i] ? 1 : 0) == labels[i]
        }.count
        let accuracy = Double(correct) / Double(labels.count)
        XCTAssertGreaterThan(accuracy, 0.95, "training accuracy \(accuracy)")
    }
}
