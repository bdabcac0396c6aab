/// The latent computation (LZN-ALGORITHM §1.4–1.6): each query starts at
/// eps·(scale·z) + (1 − eps)·a_own and flows through the closed-form field of the anchor set to the
/// latent (Euler: t = 1; DPM-Solver++: t = 0.999). Keeps what its gradient needs.
public struct ForwardLatentFlow<T: FlowScalar> {
    public let latents: FlowMatrix<T>
    public let solver: LatentSolver
    public let steps: Int
    public let priorScale: Double
    let flow: MultistepFlow
    let states: [Double]

    /// - Parameters:
    ///   - ownAnchors: B×D, the anchor each query starts from.
    ///   - anchorSet: N×D, the anchors defining the flow (in training: the same matrix as ownAnchors).
    ///   - prior: B×D standard-normal draws.
    ///   - keepTrajectory: false skips storing the S·B·D states (no `gradients` afterwards).
    public init(ownAnchors: FlowMatrix<T>, anchorSet: FlowMatrix<T>, prior: FlowMatrix<T>,
                solver: LatentSolver, steps: Int, priorScale: Double = 1, keepTrajectory: Bool = true) throws {
        try solver.validate()
        try FlowValidation.steps(steps)
        try FlowValidation.finite(anchorSet, "anchor set")
        try FlowValidation.finite(ownAnchors, "own anchors")
        try FlowValidation.columns(ownAnchors, anchorSet.columns, "own anchors")
        try FlowValidation.finite(prior, "prior")
        try FlowValidation.shape(prior, rows: ownAnchors.rows, columns: ownAnchors.columns, "prior")
        guard priorScale.isFinite else {
            throw LatentFlowError.invalidParameter(name: "prior scale", reason: "must be finite, got \(priorScale)")
        }
        self.solver = solver
        self.steps = steps
        self.priorScale = priorScale
        let eps = solver.forwardEps
        // In float64: the flow magnifies the eps·z offset by ~1/eps, so rounding the start point to
        // float32 alone would cost ~1e-3 relative error in the latent.
        let start = zip(prior.values, ownAnchors.values).map { z, a in
            eps * priorScale * z.doubleValue + (1 - eps) * a.doubleValue
        }
        flow = MultistepFlow(schedule: solver.forwardSchedule(steps: steps),
                             field: FlowField(anchors: anchorSet, weights: nil, batch: ownAnchors.rows))
        let run = flow.run(start: start, keepStates: keepTrajectory)
        states = run.states
        latents = FlowMatrix(rows: ownAnchors.rows, columns: ownAnchors.columns, values: run.final.map { T($0) })
    }

    /// Vector–Jacobian product: gradients of Σ latentGradient ⊙ latents.
    public func gradients(latentGradient: FlowMatrix<T>) throws -> ForwardFlowGradients<T> {
        try FlowValidation.shape(latentGradient, rows: latents.rows, columns: latents.columns, "latent gradient")
        guard !states.isEmpty else {
            throw LatentFlowError.invalidParameter(name: "gradients", reason: "the flow was run with keepTrajectory: false")
        }
        let (startGradient, setGradient) = flow.backward(states: states, finalGradient: latentGradient.values.map(\.doubleValue),
                                                          probabilityGradients: [])
        let eps = solver.forwardEps
        let ownScale = 1 - eps, priorFactor = eps * priorScale
        let b = latents.rows, d = latents.columns
        return ForwardFlowGradients(
            ownAnchors: FlowMatrix(rows: b, columns: d, values: startGradient.map { T(ownScale * $0) }),
            anchorSet: FlowMatrix(rows: flow.anchorCount, columns: d, values: setGradient.map { T($0) }),
            prior: FlowMatrix(rows: b, columns: d, values: startGradient.map { T(priorFactor * $0) }))
    }
}

public struct ForwardFlowGradients<T: FlowScalar>: Equatable, Sendable {
    public var ownAnchors: FlowMatrix<T>
    public var anchorSet: FlowMatrix<T>
    public var prior: FlowMatrix<T>

    /// The total anchor gradient when the own anchors and the anchor set are the same matrix
    /// (the training use).
    public var anchors: FlowMatrix<T> {
        precondition(ownAnchors.rows == anchorSet.rows, "own anchors and anchor set differ in size")
        return FlowMatrix(rows: anchorSet.rows, columns: anchorSet.columns,
                          values: zip(ownAnchors.values, anchorSet.values).map(+))
    }
}
