import Models
import Datasets
import Engine
import XCTest
@testable import Training

/// The engine splits sums over its workers, so another thread count is another summation order:
/// a training step at 1, 2 and 3 threads must agree to float tolerance (a race, a lost chunk or a
/// worker-count-dependent bug would not), while the tests that compare numbers pin the count.
final class TrainingThreadsTests: XCTestCase {
    /// One iteration's loss terms, every parameter's gradient, and the gradient norm of the step.
    private struct StepResult {
        var terms: [String: Double]
        var gradients: [String: [Float]]
        var gradientNorm: Double
    }

    private func firstStep(_ config: TrainingConfig, data: Dataset, threads: Int) throws -> StepResult {
        let saved = Parallel.threads
        Parallel.threads = threads
        defer { Parallel.threads = saved }
        let trainer = try Trainer(config: config, dataset: data)
        let output = try trainer.objective.loss(indices: trainer.order.indices(iteration: 0),
                                                randomness: IterationRandomness(seed: config.seed, iteration: 0),
                                                diagnostics: true, shard: trainer.shard)
        output.loss.backward()
        var gradients: [String: [Float]] = [:]
        for part in trainer.networks.parts {
            for (name, parameter) in trainer.networks.module(part)!.namedParameters() {
                gradients["\(part.rawValue).\(name)"] = parameter.grad?.values
                parameter.zeroGrad()
            }
        }
        let report = try trainer.step(diagnostics: true)
        XCTAssertTrue(report.applied)
        return StepResult(terms: output.terms, gradients: gradients, gradientNorm: report.gradientNorm)
    }

    func testATrainingStepAgreesAcrossThreadCounts() throws {
        let data = SyntheticData.quadrants(size: 12)
        let configs: [(String, TrainingConfig)] = [
            ("generation (LZN, conditional)", SyntheticData.config(.generation, dataset: data, iterations: 1) {
                $0.conditional = true; $0.labelSteps = 20
            }),
            ("contrastive", SyntheticData.config(.contrastive, dataset: data, iterations: 1)),
            ("simclr", SyntheticData.config(.simclr, dataset: data, iterations: 1)),
            ("supervised", SyntheticData.config(.supervised, dataset: data, iterations: 1)),
        ]
        var bitwiseEqual = 0, compared = 0
        for (mode, config) in configs {
            let one = try firstStep(config, data: data, threads: 1)
            XCTAssertFalse(one.gradients.isEmpty, mode)
            for threads in [2, 3] {
                let other = try firstStep(config, data: data, threads: threads)
                let what = "\(mode), \(threads) threads against 1"
                XCTAssertEqual(Set(other.terms.keys), Set(one.terms.keys), what)
                for (name, value) in one.terms {
                    XCTAssertEqual(other.terms[name] ?? .nan, value, accuracy: 1e-4 * (1 + abs(value)), "\(what): \(name)")
                }
                XCTAssertEqual(other.gradientNorm, one.gradientNorm, accuracy: 1e-4 * one.gradientNorm, "\(what): gradient norm")
                XCTAssertEqual(Set(other.gradients.keys), Set(one.gradients.keys), what)
                // Relative to the tensor's largest entry, or to 1% of the step's largest gradient when the
                // tensor's own is far smaller: a sum that cancels (the anchor heads' bias: the latent flow
                // hardly changes when every anchor moves alike) keeps the rounding of its summands.
                let largest = one.gradients.values.joined().map { abs(Double($0)) }.max() ?? 0
                for (name, expected) in one.gradients {
                    guard let actual = other.gradients[name], actual.count == expected.count else {
                        XCTFail("\(what): \(name) has no gradient of the same size")
                        continue
                    }
                    let scale = max(expected.map { abs(Double($0)) }.max() ?? 0, 1e-2 * largest, 1e-12)
                    let worst = zip(actual, expected).map { abs(Double($0) - Double($1)) }.max() ?? 0
                    XCTAssertLessThan(worst / scale, 1e-3, "\(what): gradient of \(name), worst \(worst) of scale \(scale)")
                    compared += 1
                    if actual == expected { bitwiseEqual += 1 }
                }
            }
        }
        print("training step at 1, 2, 3 threads: \(compared - bitwiseEqual) of \(compared) gradients differ in their bits")
        XCTAssertLessThan(bitwiseEqual, compared, "no gradient changed with the thread count: the summation order never differed")
    }
}
