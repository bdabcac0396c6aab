/// Which per-evaluation assignment probabilities a reverse flow keeps.
public enum ProbabilityRecording: Equatable, Sendable {
    /// Only the last evaluation's most probable anchor per row (always recorded).
    case none
    /// Every evaluation's full B×N posterior (E·B·N values).
    case all
    /// π[k][b, columns[b]] for every evaluation k (E·B values): what the losses need.
    case columns([Int])
}

/// The latent alignment (LZN-ALGORITHM §2.1–2.2): from the start points (t = 1 end) toward the
/// target anchors with optional per-anchor weights, recording the row-normalised posterior of each
/// solver evaluation. Keeps what its gradient needs.
public struct ReverseLatentFlow<T: FlowScalar> {
    public let final: FlowMatrix<T>
    /// Evaluation times t_k of the recorded posteriors.
    public let times: [Double]
    /// With `.all`: one B×N matrix per evaluation.
    public let probabilities: [FlowMatrix<T>]
    /// With `.columns`: E×B, row k holds π[k][b, columns[b]].
    public let selectedProbabilities: FlowMatrix<T>?
    /// argmax_j π[last][b, j] per row (§2.5 `ode_error`).
    public let lastMostProbable: [Int]
    let flow: MultistepFlow
    let states: [Double]

    public init(start: FlowMatrix<T>, targetAnchors: FlowMatrix<T>, weights: [T]? = nil,
                solver: LatentSolver, steps: Int, recording: ProbabilityRecording = .all,
                keepTrajectory: Bool = true) throws {
        try solver.validate()
        try FlowValidation.steps(steps)
        try FlowValidation.finite(targetAnchors, "target anchors")
        try FlowValidation.finite(start, "start points")
        try FlowValidation.columns(start, targetAnchors.columns, "start points")
        try FlowValidation.weights(weights, anchorCount: targetAnchors.rows, "weights")
        let b = start.rows, n = targetAnchors.rows
        if case .columns(let columns) = recording {
            guard columns.count == b else {
                throw LatentFlowError.shapeMismatch(context: "recorded columns", expected: "\(b) indices",
                                                    actual: "\(columns.count)")
            }
            if let bad = columns.first(where: { !(0..<n).contains($0) }) {
                throw LatentFlowError.invalidParameter(name: "recorded column", reason: "\(bad) is not in 0..<\(n)")
            }
        }
        let schedule = solver.reverseSchedule(steps: steps)
        flow = MultistepFlow(schedule: schedule, field: FlowField(anchors: targetAnchors, weights: weights, batch: b))
        var all: [FlowMatrix<T>] = []
        var selected: [T] = []
        var mostProbable = [Int](repeating: 0, count: b)
        let run = flow.run(start: start.values.map(\.doubleValue), keepStates: keepTrajectory) { evaluation, pi in
            switch recording {
            case .none: break
            case .all: all.append(FlowMatrix(rows: b, columns: n, values: (0..<(b * n)).map { T(pi[$0]) }))
            case .columns(let columns): for row in 0..<b { selected.append(T(pi[row * n + columns[row]])) }
            }
            if evaluation == steps - 1 {
                for row in 0..<b {
                    var best = 0
                    for j in 1..<max(n, 1) where pi[row * n + j] > pi[row * n + best] { best = j }
                    mostProbable[row] = best
                }
            }
        }
        times = Array(schedule.times.prefix(steps))
        probabilities = all
        if case .columns = recording {
            selectedProbabilities = FlowMatrix(rows: steps, columns: b, values: selected)
        } else {
            selectedProbabilities = nil
        }
        lastMostProbable = mostProbable
        states = run.states
        final = FlowMatrix(rows: b, columns: start.columns, values: run.final.map { T($0) })
    }

    /// Vector–Jacobian product: gradients of Σ finalGradient ⊙ final + Σ_k Σ g_π[k] ⊙ π[k] with
    /// respect to the start points and the target anchors (weights are constants).
    public func gradients(finalGradient: FlowMatrix<T>?,
                          probabilityGradients: [[ProbabilityGradientEntry<T>]] = []) throws -> ReverseFlowGradients<T> {
        if let finalGradient {
            try FlowValidation.shape(finalGradient, rows: final.rows, columns: final.columns, "final-point gradient")
        }
        guard !states.isEmpty else {
            throw LatentFlowError.invalidParameter(name: "gradients", reason: "the flow was run with keepTrajectory: false")
        }
        guard probabilityGradients.count <= times.count else {
            throw LatentFlowError.shapeMismatch(context: "probability gradients", expected: "≤ \(times.count) evaluations",
                                                actual: "\(probabilityGradients.count)")
        }
        for entry in probabilityGradients.joined()
        where !(0..<final.rows).contains(entry.row) || !(0..<flow.anchorCount).contains(entry.column) {
            throw LatentFlowError.invalidParameter(name: "probability gradient entry",
                                                   reason: "(\(entry.row), \(entry.column)) is outside \(final.rows)×\(flow.anchorCount)")
        }
        let entries = probabilityGradients.map { evaluation in
            evaluation.map { ProbabilityGradientEntry(row: $0.row, column: $0.column, value: $0.value.doubleValue) }
        }
        let (startGradient, anchorGradient) = flow.backward(states: states, finalGradient: finalGradient?.values.map(\.doubleValue),
                                                             probabilityGradients: entries)
        return ReverseFlowGradients(
            start: FlowMatrix(rows: final.rows, columns: final.columns, values: startGradient.map { T($0) }),
            targetAnchors: FlowMatrix(rows: flow.anchorCount, columns: final.columns, values: anchorGradient.map { T($0) }))
    }
}

public struct ReverseFlowGradients<T: FlowScalar>: Equatable, Sendable {
    public var start: FlowMatrix<T>
    public var targetAnchors: FlowMatrix<T>
}
