import Foundation
import TestSupport
import XCTest
@testable import LZN

final class AlignmentLossesTests: XCTestCase {
    func testAssignmentLossMatchesChecklist() throws {  // C10
        let prior = FlowMatrix(rows: 3, columns: 2, values: ChecklistData.prior.values)
        for precision in [1e-6, 1e-5] {
            let single = precision > 1e-6
            let latents: FlowMatrix<Double>
            if single {
                latents = try ForwardLatentFlow(ownAnchors: ChecklistData.anchors.converted(to: Float.self), anchorSet: ChecklistData.anchors.converted(),
                                                prior: prior.converted(), solver: .euler, steps: 20, priorScale: 0.45).latents.converted()
            } else {
                latents = try ForwardLatentFlow(ownAnchors: ChecklistData.anchors, anchorSet: ChecklistData.anchors, prior: prior,
                                                solver: .euler, steps: 20, priorScale: 0.45).latents
            }
            assertClose(latents, [[0.727235, -0.534157], [-0.414455, -0.269170], [-0.117528, 1.052322]], tolerance: precision)
            let loss = try AssignmentLoss(latents: latents, targetAnchors: ChecklistData.viewOneAnchors, steps: 20, cutoff: 0.2)
            assertClose(loss.reverse.final, [[1, -0.2], [-1, 0.2], [0.3, 1.8]], tolerance: 1e-5)
            assertClose(loss.maxProbabilities, [0.282181, 0.318265, 1.0], tolerance: precision)
            XCTAssertEqual(loss.maximum.steps[0], 4)
            XCTAssertEqual(loss.maximum.steps[1], 4)
            XCTAssertEqual(loss.loss, 0.803359, accuracy: precision)
            XCTAssertEqual(loss.probabilityLoss, -0.533482, accuracy: precision)
            XCTAssertEqual(loss.assignmentAccuracy, 0.333333, accuracy: precision)
            XCTAssertEqual(Array(loss.reverse.lastMostProbable), [1, 0, 2])
        }
    }

    func testLabelLossMatchesChecklist() throws {  // C11
        let labels = [0, 1, 0]
        let uniform = try LabelLoss(latents: ChecklistData.latents, labelAnchors: ChecklistData.anchors, labels: labels,
                                    weights: nil, steps: 100, cutoff: 0.2)
        assertClose(uniform.maxProbabilities, [1, 1, 0.247740], tolerance: 1e-6)
        XCTAssertEqual(uniform.loss, -0.749247, accuracy: 1e-6)
        XCTAssertEqual(uniform.predictions, [0, 1, 2])
        let weights: [Double] = try classWeights(labels: labels, classCount: 3)
        assertClose(weights, [2.0 / 3, 1.0 / 3, 0], tolerance: 1e-15)
        let weighted = try LabelLoss(latents: ChecklistData.latents, labelAnchors: ChecklistData.anchors, labels: labels,
                                     weights: weights, steps: 100, cutoff: 0.2)
        assertClose(weighted.maxProbabilities, [1, 1, 1], tolerance: 1e-6)
        XCTAssertEqual(weighted.loss, -1.0, accuracy: 1e-6)
        XCTAssertEqual(weighted.predictions, [0, 1, 0])
        XCTAssertEqual(try classifyLatents(latents: ChecklistData.latents, labelAnchors: ChecklistData.anchors, weights: weights), [0, 1, 0])
        XCTAssertEqual(try classifyLatents(latents: ChecklistData.latents.converted(to: Float.self),
                                           labelAnchors: ChecklistData.anchors.converted()), [0, 1, 2])
    }

    /// Row 0 starts nearer the wrong one of two far-apart anchors: after the first few steps its
    /// true anchor's probability is exactly 0, so with a late cut-off q = 0. The −log q losses
    /// score it at the floor and pass it no gradient instead of going non-finite; row 1 (headed for
    /// its own anchor) is scored as before.
    func testLogLossesOfAnUnderflowedProbabilityStayFiniteAndPassNoGradient() throws {
        let latents = FlowMatrix<Double>([[-5, 0], [5, 0]])
        let anchors = FlowMatrix<Double>([[50, 0], [-50, 0]])
        let floorScore = -Foundation.log(Double(Float.leastNormalMagnitude))
        let label = try LabelLoss(latents: latents, labelAnchors: anchors, labels: [0, 0], weights: nil,
                                  steps: 100, cutoff: 0.5, form: .logProb)
        XCTAssertEqual(label.maxProbabilities[0], 0)
        XCTAssertEqual(label.maxProbabilities[1], 1, accuracy: 1e-9)
        XCTAssertEqual(label.loss, floorScore / 2, accuracy: 1e-9)
        let labelGradients = try label.gradients()
        XCTAssertEqual(Array(labelGradients.start.values.prefix(2)), [0, 0], "the floored row passes no gradient")
        XCTAssertTrue((labelGradients.start.values + labelGradients.targetAnchors.values).allSatisfy(\.isFinite))

        let assignment = try AssignmentLoss(latents: latents, targetAnchors: anchors, steps: 20, cutoff: 0.5)
        XCTAssertEqual(assignment.maxProbabilities, [0, 0])
        XCTAssertEqual(assignment.loss, floorScore, accuracy: 1e-9)
        XCTAssertTrue(try assignment.gradients().start.values.allSatisfy(\.isFinite))
    }

    func testClassWeightsAndNearestAnchorsRejectBadInput() {
        XCTAssertThrowsError(try classWeights(labels: [0, 3], classCount: 3) as [Float])
        XCTAssertThrowsError(try classWeights(labels: [], classCount: 3) as [Float])
        XCTAssertThrowsError(try nearestAnchors(points: FlowMatrix<Float>([[1, 2, 3]]), anchors: FlowMatrix([[1, 2]])))
        XCTAssertThrowsError(try LabelLoss(latents: ChecklistData.latents, labelAnchors: ChecklistData.anchors,
                                           labels: [0, 1], weights: nil))
        XCTAssertThrowsError(try AssignmentLoss(latents: ChecklistData.latents, targetAnchors: ChecklistData.anchors,
                                                steps: 4, cutoff: 1.0))
    }

    /// Every `*_rev*` case: end points within 1e-4, probabilities within 1e-3 max-abs, the CE
    /// assignment loss within 1e-3 relative and its gradients within 1.5e-2 relative L2 (float32;
    /// the float64 path must be far closer).
    func testMatchesEveryReverseFixture() throws {
        let cases = try LatentFlowFixture.all().filter(\.isReverse)
        XCTAssertGreaterThanOrEqual(cases.count, 3)
        for fixture in cases {
            try check(fixture, as: Float.self, pointTolerance: 1e-4, probabilityTolerance: 1e-3,
                      lossTolerance: 1e-3, gradientTolerance: 1.5e-2)
            try check(fixture, as: Double.self, pointTolerance: 1e-9, probabilityTolerance: 1e-9,
                      lossTolerance: 1e-9, gradientTolerance: 1e-6)
        }
    }

    func testEveryFixtureCaseIsCovered() throws {
        let cases = try LatentFlowFixture.all()
        XCTAssertEqual(cases.filter { $0.isForward || $0.isReverse }.count, cases.count)
        XCTAssertEqual(cases.count, 8)
    }

    private func check<T: FlowScalar>(_ fixture: LatentFlowFixture, as _: T.Type, pointTolerance: Double,
                                      probabilityTolerance: Double, lossTolerance: Double, gradientTolerance: Double) throws {
        let weights: [T]? = fixture.hasWeights ? try fixture.doubles("weights").map { T($0) } : nil
        let loss = try AssignmentLoss(latents: try fixture.matrix("start", as: T.self), targetAnchors: try fixture.matrix("anchors"),
                                      weights: weights, solver: fixture.solver, steps: fixture.steps, cutoff: fixture.cutoff)
        let expectedFinal = try fixture.doubles("final")
        let pointError = zip(loss.reverse.final.values, expectedFinal).map { abs($0.doubleValue - $1) }.max()!
        let full = try ReverseLatentFlow(start: try fixture.matrix("start", as: T.self), targetAnchors: try fixture.matrix("anchors"),
                                         weights: weights, solver: fixture.solver, steps: fixture.steps)
        let expectedProbabilities = try fixture.doubles("probs")
        let probabilityError = zip(full.probabilities.flatMap(\.values), expectedProbabilities).map { abs($0.doubleValue - $1) }.max()!
        XCTAssertEqual(full.probabilities.count * full.final.rows * full.probabilities[0].columns, expectedProbabilities.count)
        let expectedLoss = try fixture.doubles("loss_ce")[0]
        let lossError = abs(loss.loss.doubleValue - expectedLoss) / abs(expectedLoss)
        let gradients = try loss.gradients()
        let anchorError = relativeL2(gradients.targetAnchors.values, try fixture.doubles("grad_anchors"))
        let startError = relativeL2(gradients.start.values, try fixture.doubles("grad_start"))
        print("fixture \(fixture.name) \(T.self): final max-abs \(pointError), probs max-abs \(probabilityError), "
              + "loss rel \(lossError), grad anchors rel L2 \(anchorError), grad start rel L2 \(startError)")
        XCTAssertLessThan(pointError, pointTolerance, "\(fixture.name) \(T.self) final")
        XCTAssertLessThan(probabilityError, probabilityTolerance, "\(fixture.name) \(T.self) probs")
        XCTAssertLessThan(lossError, lossTolerance, "\(fixture.name) \(T.self) loss_ce")
        XCTAssertLessThan(anchorError, gradientTolerance, "\(fixture.name) \(T.self) grad_anchors")
        XCTAssertLessThan(startError, gradientTolerance, "\(fixture.name) \(T.self) grad_start")
    }
}

final class AlignmentLossesGradientTests: XCTestCase {
    func testLossGradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 43)
        let latents = random.matrix(5, 3), targets = random.matrix(5, 3), labelAnchors = random.matrix(3, 3)
        let labels = [0, 2, 1, 0, 2]
        let weights: [Double] = try classWeights(labels: labels, classCount: 3)
        let assignment = try AssignmentLoss(latents: latents, targetAnchors: targets, steps: 10)
        let ag = try assignment.gradients(lossGradient: 2)
        assertClose(ag.start.values, try numericalGradient(of: latents) {
            2 * (try AssignmentLoss(latents: $0, targetAnchors: targets, steps: 10).loss)
        }, tolerance: 1e-6)
        assertClose(ag.targetAnchors.values, try numericalGradient(of: targets) {
            2 * (try AssignmentLoss(latents: latents, targetAnchors: $0, steps: 10).loss)
        }, tolerance: 1e-6)
        let label = try LabelLoss(latents: latents, labelAnchors: labelAnchors, labels: labels, weights: weights, steps: 30)
        let lg = try label.gradients()
        assertClose(lg.start.values, try numericalGradient(of: latents) {
            try LabelLoss(latents: $0, labelAnchors: labelAnchors, labels: labels, weights: weights, steps: 30).loss
        }, tolerance: 1e-6)
        assertClose(lg.targetAnchors.values, try numericalGradient(of: labelAnchors) {
            try LabelLoss(latents: latents, labelAnchors: $0, labels: labels, weights: weights, steps: 30).loss
        }, tolerance: 1e-6)
    }

    func testLogProbabilityLabelLossIsTheMeanNegativeLogAndItsGradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 44)
        let latents = random.matrix(5, 3), labelAnchors = random.matrix(3, 3)
        let labels = [1, 2, 1, 0, 2]
        func loss(_ y: FlowMatrix<Double>, _ l: FlowMatrix<Double>) throws -> LabelLoss<Double> {
            try LabelLoss(latents: y, labelAnchors: l, labels: labels, weights: nil, steps: 30, form: .logProb)
        }
        let label = try loss(latents, labelAnchors)
        let plain = try LabelLoss(latents: latents, labelAnchors: labelAnchors, labels: labels, weights: nil, steps: 30)
        XCTAssertEqual(label.maxProbabilities, plain.maxProbabilities, "the form changes the score, not the flow")
        XCTAssertEqual(label.loss, -label.maxProbabilities.map { Foundation.log($0) }.reduce(0, +) / 5, accuracy: 1e-12)
        let gradients = try label.gradients(lossGradient: 3)
        assertClose(gradients.start.values, try numericalGradient(of: latents) { 3 * (try loss($0, labelAnchors).loss) }, tolerance: 1e-6)
        assertClose(gradients.targetAnchors.values, try numericalGradient(of: labelAnchors) { 3 * (try loss(latents, $0).loss) }, tolerance: 1e-6)
    }
}
