import Engine
import XCTest
@testable import LZN

final class DifferentiableFlowsTests: XCTestCase {
    private func tensor(_ m: FlowMatrix<Double>, requiresGrad: Bool = true) -> Tensor {
        let t = Tensor(shape: [m.rows, m.columns], values: m.values.map { Float($0) })
        t.requiresGrad = requiresGrad
        return t
    }

    /// lznLatents' recorded backward equals the raw-buffer VJP, for both inputs.
    func testLatentsGradientMatchesRawFlow() throws {
        var random = TestRandom(seed: 51)
        let anchors = random.matrix(24, 6).converted(to: Float.self), prior = random.matrix(24, 6).converted(to: Float.self)
        let upstream = random.matrix(24, 6).converted(to: Float.self)
        for solver in [LatentSolver.euler, .dpmSolver(order: 3)] {
            let a = anchors.tensor, z = prior.tensor, u = upstream.tensor
            a.requiresGrad = true
            z.requiresGrad = true
            let latents = try lznLatents(anchors: a, prior: z, solver: solver, steps: 20, priorScale: 0.45)
            (latents * u).sum().backward()
            let raw = try ForwardLatentFlow(ownAnchors: anchors, anchorSet: anchors, prior: prior, solver: solver,
                                            steps: 20, priorScale: 0.45)
            XCTAssertEqual(latents.values, raw.latents.values)
            let gradients = try raw.gradients(latentGradient: upstream)
            XCTAssertEqual(try XCTUnwrap(a.grad).values, gradients.anchors.values, "\(solver)")
            XCTAssertEqual(try XCTUnwrap(z.grad).values, gradients.prior.values, "\(solver)")
        }
    }

    /// The contrastive composition (§2.5): forward Euler of view 0 → assignment loss toward view 1,
    /// gradients reaching both views' anchors, against the raw chain and float64 differences.
    func testAssignmentLossThroughTheForwardFlowMatchesRawChainAndFiniteDifferences() throws {
        var random = TestRandom(seed: 53)
        let view0 = random.matrix(6, 3), view1 = random.matrix(6, 3), prior = random.matrix(6, 3)
        let a0 = tensor(view0), a1 = tensor(view1), z = tensor(prior, requiresGrad: false)
        let latents = try lznLatents(anchors: a0, prior: z, solver: .euler, steps: 20, priorScale: 0.45)
        let (loss, diagnostics) = try assignmentLoss(latents: latents, targetAnchors: a1, steps: 20, cutoff: 0.2)
        loss.backward()

        func rawLoss(_ v0: FlowMatrix<Double>, _ v1: FlowMatrix<Double>) throws -> Double {
            let y = try ForwardLatentFlow(ownAnchors: v0, anchorSet: v0, prior: prior, solver: .euler, steps: 20, priorScale: 0.45)
            return try AssignmentLoss(latents: y.latents, targetAnchors: v1, steps: 20, cutoff: 0.2).loss
        }
        let forward = try ForwardLatentFlow(ownAnchors: view0, anchorSet: view0, prior: prior, solver: .euler, steps: 20, priorScale: 0.45)
        let reference = try AssignmentLoss(latents: forward.latents, targetAnchors: view1, steps: 20, cutoff: 0.2)
        XCTAssertEqual(Double(loss.scalar), reference.loss, accuracy: 1e-5)
        XCTAssertEqual(Double(diagnostics.assignmentAccuracy), reference.assignmentAccuracy, accuracy: 1e-5)
        XCTAssertEqual(Double(diagnostics.odeError), reference.odeError, accuracy: 1e-5)
        let view1Gradient = try numericalGradient(of: view1) { try rawLoss(view0, $0) }
        let view0Gradient = try numericalGradient(of: view0) { try rawLoss($0, view1) }
        XCTAssertLessThan(relativeL2(try XCTUnwrap(a1.grad).values, view1Gradient), 1e-3)
        XCTAssertLessThan(relativeL2(try XCTUnwrap(a0.grad).values, view0Gradient), 1e-3)
    }

    /// Case study 3's label loss with learned label anchors, against float64 differences.
    func testLabelLossGradientReachesLatentsAndLabelAnchors() throws {
        var random = TestRandom(seed: 57)
        let latents = random.matrix(8, 4), labelAnchors = random.matrix(3, 4)
        let labels = [0, 1, 2, 0, 1, 2, 0, 0]
        let weights: [Float] = try classWeights(labels: labels, classCount: 3)
        let y = tensor(latents), l = tensor(labelAnchors)
        let loss = try labelLoss(latents: y, labelAnchors: l, labels: labels, weights: weights, steps: 50)
        loss.backward()
        let doubleWeights = weights.map(Double.init)
        func rawLoss(_ y: FlowMatrix<Double>, _ l: FlowMatrix<Double>) throws -> Double {
            try LabelLoss(latents: y, labelAnchors: l, labels: labels, weights: doubleWeights, steps: 50).loss
        }
        XCTAssertEqual(Double(loss.scalar), try rawLoss(latents, labelAnchors), accuracy: 1e-5)
        XCTAssertLessThan(relativeL2(try XCTUnwrap(y.grad).values, try numericalGradient(of: latents) { try rawLoss($0, labelAnchors) }), 1e-3)
        XCTAssertLessThan(relativeL2(try XCTUnwrap(l.grad).values, try numericalGradient(of: labelAnchors) { try rawLoss(latents, $0) }), 1e-3)
    }

    func testNonFiniteAnchorsThrowInsteadOfCrashing() {
        let anchors = Tensor(shape: [2, 2], values: [1, .nan, 0, 1])
        XCTAssertThrowsError(try lznLatents(anchors: anchors, prior: Tensor.zeros([2, 2]), solver: .euler, steps: 4))
        XCTAssertThrowsError(try lznLatents(anchors: Tensor.zeros([2, 2, 1]), prior: Tensor.zeros([2, 2]), solver: .euler, steps: 4))
    }
}
