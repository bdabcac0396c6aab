import TestSupport
import XCTest
@testable import LZN

final class ForwardLatentFlowTests: XCTestCase {
    private let a = FlowMatrix<Double>([[1, -2, 0.5]])
    private let z = FlowMatrix<Double>([[0.3, 0.1, -1.2]])

    func testSingleAnchorEulerForwardReturnsThePrior() throws {  // C2
        for steps in [1, 7, 20] {
            let flow = try ForwardLatentFlow(ownAnchors: a, anchorSet: a, prior: z, solver: .euler, steps: steps)
            assertClose(flow.latents, [[0.3, 0.1, -1.2]], tolerance: 1e-9, "K = \(steps)")
            let single = try ForwardLatentFlow(ownAnchors: a.converted(to: Float.self), anchorSet: a.converted(),
                                               prior: z.converted(), solver: .euler, steps: steps)
            assertClose(single.latents, [[0.3, 0.1, -1.2]], tolerance: 2e-4, "float32 K = \(steps)")
        }
    }

    func testSingleAnchorDPMForwardEndsAtTimePoint999() throws {  // C3
        for order in 1...3 {
            let flow = try ForwardLatentFlow(ownAnchors: a, anchorSet: a, prior: z, solver: .dpmSolver(order: order), steps: 20)
            assertClose(flow.latents, [[0.3007, 0.0979, -1.1983]], tolerance: 1e-9, "order \(order)")
        }
    }

    func testEulerForwardTwentyStepsMatchesChecklist() throws {  // C6
        let expected = [[0.794624, -0.706361], [-0.180410, -0.135870], [-0.271773, 1.372681]]
        let flow = try ForwardLatentFlow(ownAnchors: ChecklistData.anchors, anchorSet: ChecklistData.anchors,
                                         prior: ChecklistData.prior, solver: .euler, steps: 20)
        assertClose(flow.latents, expected, tolerance: 1e-6)
        let single = try ForwardLatentFlow(ownAnchors: ChecklistData.anchors.converted(to: Float.self),
                                           anchorSet: ChecklistData.anchors.converted(), prior: ChecklistData.prior.converted(),
                                           solver: .euler, steps: 20)
        assertClose(single.latents, expected, tolerance: 1e-4)
    }

    func testDPMSolverForwardMatchesChecklist() throws {  // C7
        let twenty = [[0.846047, -0.735202], [-0.242296, -0.172735], [-0.270293, 1.430173]]
        let five = [[0.778866, -0.677801], [-0.238260, -0.153752], [-0.266153, 1.303038]]
        for (steps, expected) in [(20, twenty), (5, five)] {
            let flow = try ForwardLatentFlow(ownAnchors: ChecklistData.anchors, anchorSet: ChecklistData.anchors,
                                             prior: ChecklistData.prior, solver: .dpmSolver(order: 3), steps: steps)
            assertClose(flow.latents, expected, tolerance: 1e-6, "S = \(steps)")
            let single = try ForwardLatentFlow(ownAnchors: ChecklistData.anchors.converted(to: Float.self),
                                               anchorSet: ChecklistData.anchors.converted(), prior: ChecklistData.prior.converted(),
                                               solver: .dpmSolver(order: 3), steps: steps)
            assertClose(single.latents, expected, tolerance: 1e-4, "float32 S = \(steps)")
        }
    }

    /// C14: for N = 256 random anchors the 20-step Euler latents look standard normal.
    func testBatchLatentsLookGaussian() throws {
        var random = TestRandom(seed: 21)
        for d in [64, 200] {
            let anchors = random.matrix(256, d).converted(to: Float.self)
            let prior = random.matrix(256, d).converted(to: Float.self)
            let latents = try ForwardLatentFlow(ownAnchors: anchors, anchorSet: anchors, prior: prior,
                                                solver: .euler, steps: 20, keepTrajectory: false).latents
            let values = latents.values.map(\.doubleValue)
            let meanSquare = values.reduce(0) { $0 + $1 * $1 } / Double(values.count)
            XCTAssertGreaterThan(meanSquare, 0.94, "D = \(d)")
            XCTAssertLessThan(meanSquare, 1.01, "D = \(d)")
        }
    }

    func testRejectsMismatchedShapesAndNonFiniteInput() {
        let anchors = FlowMatrix<Float>([[1, 0], [0, 1]])
        XCTAssertThrowsError(try ForwardLatentFlow(ownAnchors: anchors, anchorSet: anchors, prior: FlowMatrix([[1, 2]]),
                                                   solver: .euler, steps: 4)) { error in
            XCTAssertTrue("\(error)".contains("prior"), "\(error)")
        }
        XCTAssertThrowsError(try ForwardLatentFlow(ownAnchors: FlowMatrix([[1, .nan]]), anchorSet: anchors,
                                                   prior: FlowMatrix([[1, 2]]), solver: .euler, steps: 4)) { error in
            XCTAssertTrue("\(error)".contains("own anchors"), "\(error)")
        }
        XCTAssertThrowsError(try ForwardLatentFlow(ownAnchors: anchors, anchorSet: anchors, prior: anchors,
                                                   solver: .dpmSolver(order: 4), steps: 4))
        XCTAssertThrowsError(try ForwardLatentFlow(ownAnchors: anchors, anchorSet: anchors, prior: anchors,
                                                   solver: .euler, steps: 0))
    }
}

final class ForwardLatentFlowFixtureTests: XCTestCase {
    /// Every `*_fwd_*` case: latents within 3e-3 relative L2, anchor gradients within 1.5e-2
    /// (float32; the float64 path must be far closer).
    func testMatchesEveryForwardFixture() throws {
        let cases = try LatentFlowFixture.all().filter(\.isForward)
        XCTAssertGreaterThanOrEqual(cases.count, 5)
        for fixture in cases {
            try check(fixture, as: Float.self, latentTolerance: 3e-3, gradientTolerance: 1.5e-2)
            try check(fixture, as: Double.self, latentTolerance: 1e-7, gradientTolerance: 1e-6)
        }
    }

    private func check<T: FlowScalar>(_ fixture: LatentFlowFixture, as _: T.Type, latentTolerance: Double,
                                      gradientTolerance: Double) throws {
        let anchors: FlowMatrix<T> = try fixture.matrix("anchors")
        let flow = try ForwardLatentFlow(ownAnchors: anchors, anchorSet: anchors, prior: try fixture.matrix("prior"),
                                         solver: fixture.solver, steps: fixture.steps)
        let latentError = relativeL2(flow.latents.values, try fixture.doubles("latent"))
        let gradients = try flow.gradients(latentGradient: try fixture.matrix("upstream"))
        let gradientError = relativeL2(gradients.anchors.values, try fixture.doubles("grad_anchors"))
        print("fixture \(fixture.name) \(T.self): latent rel L2 \(latentError), grad rel L2 \(gradientError)")
        XCTAssertLessThan(latentError, latentTolerance, "\(fixture.name) \(T.self) latent")
        XCTAssertLessThan(gradientError, gradientTolerance, "\(fixture.name) \(T.self) grad_anchors")
    }
}

final class ForwardLatentFlowGradientTests: XCTestCase {
    /// Analytic VJPs of every forward solver against float64 central differences, with the own
    /// anchors, the anchor set and the prior as separate inputs (N ≠ B) and a prior scale.
    func testGradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 31)
        let own = random.matrix(3, 2, scale: 0.8), set = random.matrix(4, 2, scale: 0.8)
        let prior = random.matrix(3, 2), upstream = random.matrix(3, 2)
        for solver in [LatentSolver.euler, .dpmSolver(order: 1), .dpmSolver(order: 2), .dpmSolver(order: 3)] {
            for steps in [3, 12] {
                func loss(_ own: FlowMatrix<Double>, _ set: FlowMatrix<Double>, _ prior: FlowMatrix<Double>) throws -> Double {
                    dot(try ForwardLatentFlow(ownAnchors: own, anchorSet: set, prior: prior, solver: solver, steps: steps,
                                              priorScale: 0.45).latents, upstream)
                }
                let flow = try ForwardLatentFlow(ownAnchors: own, anchorSet: set, prior: prior, solver: solver, steps: steps, priorScale: 0.45)
                let gradients = try flow.gradients(latentGradient: upstream)
                let label = "\(solver) K = \(steps)"
                assertClose(gradients.ownAnchors.values, try numericalGradient(of: own) { try loss($0, set, prior) }, tolerance: 1e-5, label)
                assertClose(gradients.anchorSet.values, try numericalGradient(of: set) { try loss(own, $0, prior) }, tolerance: 1e-5, label)
                assertClose(gradients.prior.values, try numericalGradient(of: prior, step: 1e-4) { try loss(own, set, $0) }, tolerance: 1e-5, label)
            }
        }
    }

    /// The float32 path's gradients agree with the float64 path's on a realistic batch.
    func testFloat32GradientsTrackFloat64() throws {
        var random = TestRandom(seed: 37)
        let anchors = random.matrix(64, 16), prior = random.matrix(64, 16), upstream = random.matrix(64, 16)
        let reference = try ForwardLatentFlow(ownAnchors: anchors, anchorSet: anchors, prior: prior, solver: .euler, steps: 20)
            .gradients(latentGradient: upstream).anchors
        let single = try ForwardLatentFlow(ownAnchors: anchors.converted(to: Float.self), anchorSet: anchors.converted(),
                                           prior: prior.converted(), solver: .euler, steps: 20)
            .gradients(latentGradient: upstream.converted()).anchors
        XCTAssertLessThan(relativeL2(single.values, reference.values), 1e-3)
    }
}
