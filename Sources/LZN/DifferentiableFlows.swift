import Engine

// Fused differentiable latent-flow ops for the trainers. Each is one `recordOp` node whose backward
// runs the analytic VJPs of the raw-buffer flows (LZN-ALGORITHM Appendix B): the graph holds only
// the flow's evaluated states (S·B·D floats), never B×N×D. Non-finite inputs throw
// `LatentFlowError.nonFinite`, which a trainer handles like a non-finite loss (skip the step).

extension FlowMatrix where Scalar == Float {
    init(_ tensor: Tensor, _ context: String) throws {
        guard tensor.rank == 2 else {
            throw LatentFlowError.shapeMismatch(context: context, expected: "a 2-D [B, D] tensor", actual: "\(tensor.shape)")
        }
        self.init(rows: tensor.shape[0], columns: tensor.shape[1], values: tensor.values)
    }

    var tensor: Tensor { Tensor(shape: [rows, columns], values: values) }
}

/// The LZN latents of a batch (§1.4–1.6, the training use): every anchor is its query's own start
/// point and a member of the anchor set. `anchors` [B, D] (encoder output), `prior` [B, D]
/// standard-normal draws; Euler ends at t = 1, DPM-Solver++ at t = 0.999. Differentiable w.r.t.
/// both inputs.
public func lznLatents(anchors: Tensor, prior: Tensor, solver: LatentSolver, steps: Int,
                       priorScale: Double = 1) throws -> Tensor {
    let a = try FlowMatrix(anchors, "anchors")
    let flow = try ForwardLatentFlow(ownAnchors: a, anchorSet: a, prior: try FlowMatrix(prior, "prior"), solver: solver,
                                     steps: steps, priorScale: priorScale, keepTrajectory: isGradEnabled)
    return recordOp("lznLatents", inputs: [anchors, prior], output: flow.latents.tensor) { outputGrad in
        // The upstream shape is the output's, validated by construction.
        let gradients = try! flow.gradients(latentGradient: FlowMatrix(outputGrad, "latent gradient"))
        return [gradients.anchors.tensor, gradients.prior.tensor]
    }
}

/// The label loss of case study 3 (§2.4), a scalar: −mean_b q_b (or −mean_b log q_b, `form`) with
/// q_b = max_{k ≥ ⌊K·cutoff⌋} π_k[b, label_b] of the class-weighted reverse Euler flow from `latents` [B, D] toward `labelAnchors` [K, D].
/// Differentiable w.r.t. both tensors; `weights` (e.g. `classWeights(labels:classCount:)`) are
/// constants.
public func labelLoss(latents: Tensor, labelAnchors: Tensor, labels: [Int], weights: [Float]?,
                      steps: Int = 100, cutoff: Double = 0.2, form: LabelLossForm = .prob) throws -> Tensor {
    let loss = try LabelLoss(latents: try FlowMatrix(latents, "latents"), labelAnchors: try FlowMatrix(labelAnchors, "label anchors"),
                             labels: labels, weights: weights, steps: steps, cutoff: cutoff, form: form)
    return recordOp("labelLoss", inputs: [latents, labelAnchors], output: Tensor(scalar: loss.loss)) { outputGrad in
        let gradients = try! loss.gradients(lossGradient: outputGrad.scalar)
        return [gradients.start.tensor, gradients.targetAnchors.tensor]
    }
}

/// Diagnostics of the assignment loss (§2.5), without gradient.
public struct AssignmentDiagnostics: Equatable, Sendable {
    /// −mean_b q_b (logged; coefficient 0 in the loss).
    public var probabilityLoss: Float
    /// mean_b π_last[b, b].
    public var assignmentAccuracy: Float
    /// mean_b ‖a_{j*} − x_final,b‖ / ‖a_{j*}‖.
    public var odeError: Float
}

/// The assignment loss of case study 2 (§2.5), a scalar: −mean_b log max_{k ≥ ⌊K·cutoff⌋} π_k[b, b]
/// of the reverse Euler flow from the view-0 `latents` [B, D] toward the view-1 `targetAnchors`
/// [B, D]. Differentiable w.r.t. both tensors.
public func assignmentLoss(latents: Tensor, targetAnchors: Tensor, steps: Int = 20,
                           cutoff: Double = 0.2) throws -> (loss: Tensor, diagnostics: AssignmentDiagnostics) {
    let loss = try AssignmentLoss(latents: try FlowMatrix(latents, "latents"), targetAnchors: try FlowMatrix(targetAnchors, "target anchors"),
                                  steps: steps, cutoff: cutoff)
    let output = recordOp("assignmentLoss", inputs: [latents, targetAnchors], output: Tensor(scalar: loss.loss)) { outputGrad in
        let gradients = try! loss.gradients(lossGradient: outputGrad.scalar)
        return [gradients.start.tensor, gradients.targetAnchors.tensor]
    }
    return (output, AssignmentDiagnostics(probabilityLoss: loss.probabilityLoss,
                                          assignmentAccuracy: loss.assignmentAccuracy, odeError: loss.odeError))
}
