import TestSupport
import XCTest
@testable import LZN

final class ReverseLatentFlowTests: XCTestCase {
    func testSingleAnchorReverseEulerReturnsTheAnchor() throws {  // C3
        let a = FlowMatrix<Double>([[1, -2, 0.5]])
        let flow = try ReverseLatentFlow(start: FlowMatrix([[0.3, 0.1, -1.2]]), targetAnchors: a, solver: .euler, steps: 20)
        assertClose(flow.final, [[1, -2, 0.5]], tolerance: 1e-12)
    }

    func testReverseEulerMatchesChecklist() throws {  // C8
        for precision in [1e-6, 1e-4] {
            let uniform: ReverseLatentFlow<Double>
            if precision == 1e-6 {
                uniform = try ReverseLatentFlow(start: ChecklistData.latents, targetAnchors: ChecklistData.anchors,
                                                solver: .euler, steps: 20)
            } else {
                let single = try ReverseLatentFlow(start: ChecklistData.latents.converted(to: Float.self),
                                                   targetAnchors: ChecklistData.anchors.converted(), solver: .euler, steps: 20)
                uniform = try ReverseLatentFlow(start: ChecklistData.latents, targetAnchors: ChecklistData.anchors,
                                                solver: .euler, steps: 20)
                assertClose(single.final, [[1, 0], [-1, 0], [0, 2]], tolerance: precision)
                assertClose(single.probabilities[10], [[0.718126, 0.068803, 0.213071], [0.114449, 0.758361, 0.127190],
                                                       [0.017337, 0.013902, 0.968761]], tolerance: precision)
            }
            assertClose(uniform.final, [[1, 0], [-1, 0], [0, 2]], tolerance: precision)
            XCTAssertEqual(uniform.probabilities.count, 20)
            assertClose(uniform.probabilities[0], Array(repeating: [1.0 / 3, 1.0 / 3, 1.0 / 3], count: 3), tolerance: 1e-12)
            assertClose(uniform.probabilities[4], [[0.406238, 0.257235, 0.336526], [0.286193, 0.408392, 0.305415],
                                                   [0.248322, 0.236054, 0.515624]], tolerance: precision)
            assertClose(uniform.probabilities[10], [[0.718126, 0.068803, 0.213071], [0.114449, 0.758361, 0.127190],
                                                    [0.017337, 0.013902, 0.968761]], tolerance: precision)
            XCTAssertEqual(uniform.times[4], 0.8, accuracy: 1e-12)
        }
        let weighted = try ReverseLatentFlow(start: ChecklistData.latents, targetAnchors: ChecklistData.anchors,
                                             weights: [0.5, 0.3, 0.2], solver: .euler, steps: 20)
        assertClose(weighted.probabilities[0], Array(repeating: [0.5, 0.3, 0.2], count: 3), tolerance: 1e-12)
        assertClose(weighted.probabilities[10], [[0.922952, 0.032523, 0.044525], [0.258679, 0.682030, 0.059290],
                                                 [0.093208, 0.033085, 0.873708]], tolerance: 1e-6)
    }

    func testReverseDPMSolverMatchesChecklist() throws {  // C9
        let flow = try ReverseLatentFlow(start: ChecklistData.latents, targetAnchors: ChecklistData.anchors,
                                         solver: .dpmSolver(order: 3), steps: 20)
        assertClose(flow.final, [[0.999119, 0.000831], [-0.998900, 0.000358], [0.000110, 1.998882]], tolerance: 1e-6)
        XCTAssertEqual(flow.probabilities.count, 20)
        assertClose(flow.probabilities[10], [[0.733828, 0.064904, 0.201268], [0.107621, 0.774754, 0.117626],
                                             [0.014932, 0.011989, 0.973079]], tolerance: 1e-6)
    }

    func testSelectedColumnsAndLastMostProbableMatchTheFullRecording() throws {
        var random = TestRandom(seed: 17)
        let anchors = random.matrix(6, 4), start = random.matrix(5, 4)
        let columns = [0, 3, 5, 1, 1]
        let full = try ReverseLatentFlow(start: start, targetAnchors: anchors, solver: .euler, steps: 10)
        let selected = try ReverseLatentFlow(start: start, targetAnchors: anchors, solver: .euler, steps: 10,
                                             recording: .columns(columns))
        XCTAssertTrue(selected.probabilities.isEmpty)
        for k in 0..<10 {
            for b in 0..<5 { XCTAssertEqual(selected.selectedProbabilities![k, b], full.probabilities[k][b, columns[b]]) }
        }
        for b in 0..<5 {
            let last = Array(full.probabilities[9].row(b))
            XCTAssertEqual(full.lastMostProbable[b], last.firstIndex(of: last.max()!))
        }
    }

    func testZeroWeightAnchorIsNeverChosenEvenWhenNearest() throws {  // §1.3 edge case
        let anchors = FlowMatrix<Float>([[0, 0], [30, 0], [0, 30]])
        let start = FlowMatrix<Float>([[0.01, 0.02]])
        let flow = try ReverseLatentFlow(start: start, targetAnchors: anchors, weights: [0, 1, 1], solver: .euler, steps: 50)
        for pi in flow.probabilities {
            XCTAssertEqual(pi[0, 0], 0)
            XCTAssertTrue(pi.values.allSatisfy(\.isFinite))
        }
        XCTAssertTrue(flow.final.values.allSatisfy(\.isFinite))
    }
}

final class ReverseLatentFlowGradientTests: XCTestCase {
    /// Analytic VJPs of the reverse solvers (with and without weights, gradients on the end point
    /// and on several evaluations' probabilities) against float64 central differences.
    func testGradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 41)
        let start = random.matrix(3, 2), anchors = random.matrix(4, 2), upstream = random.matrix(3, 2)
        let probabilityWeights = random.matrix(1, 12)
        for solver in [LatentSolver.euler, .dpmSolver(order: 3)] {
            for weights in [nil, [0.4, 0.1, 0.0, 0.5]] as [[Double]?] {
                let steps = 8
                let picks = [(2, 0, 1), (5, 1, 3), (7, 2, 0), (5, 0, 0)]
                func loss(_ start: FlowMatrix<Double>, _ anchors: FlowMatrix<Double>) throws -> Double {
                    let flow = try ReverseLatentFlow(start: start, targetAnchors: anchors, weights: weights, solver: solver, steps: steps)
                    var value = dot(flow.final, upstream)
                    for (i, (k, b, j)) in picks.enumerated() { value += probabilityWeights.values[i] * flow.probabilities[k][b, j] }
                    return value
                }
                let flow = try ReverseLatentFlow(start: start, targetAnchors: anchors, weights: weights, solver: solver, steps: steps)
                var entries = [[ProbabilityGradientEntry<Double>]](repeating: [], count: steps)
                for (i, (k, b, j)) in picks.enumerated() {
                    entries[k].append(ProbabilityGradientEntry(row: b, column: j, value: probabilityWeights.values[i]))
                }
                let gradients = try flow.gradients(finalGradient: upstream, probabilityGradients: entries)
                let label = "\(solver) weights \(weights ?? [])"
                assertClose(gradients.start.values, try numericalGradient(of: start) { try loss($0, anchors) }, tolerance: 1e-6, label)
                assertClose(gradients.targetAnchors.values, try numericalGradient(of: anchors) { try loss(start, $0) }, tolerance: 1e-6, label)
            }
        }
    }
}

final class RoundTripTests: XCTestCase {
    /// C14: forward Euler then reverse Euler toward the same 128 anchors (32-D) returns ≈80% of the
    /// samples to their own anchor at K = 20 and ≈97% at K = 100.
    func testForwardThenReverseRecoversOwnAnchors() throws {
        var random = TestRandom(seed: 61)
        let anchors = random.matrix(128, 32).converted(to: Float.self), prior = random.matrix(128, 32).converted(to: Float.self)
        for (steps, expected) in [(20, 0.80), (100, 0.97)] {
            let latents = try ForwardLatentFlow(ownAnchors: anchors, anchorSet: anchors, prior: prior, solver: .euler,
                                                steps: steps, keepTrajectory: false).latents
            let back = try ReverseLatentFlow(start: latents, targetAnchors: anchors, solver: .euler, steps: steps,
                                             recording: .none, keepTrajectory: false)
            let nearest = try nearestAnchors(points: back.final, anchors: anchors)
            let recovered = Double(nearest.enumerated().filter { $0.offset == $0.element }.count) / 128
            print("round trip K = \(steps): \(recovered)")
            XCTAssertEqual(recovered, expected, accuracy: 0.08, "K = \(steps)")
        }
    }
}
