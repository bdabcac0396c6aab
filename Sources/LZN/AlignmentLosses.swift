import Foundation

/// The per-sample maximum of the recorded probabilities P[k, b] over the steps k ≥ ⌊K·cutoff⌋
/// (LZN-ALGORITHM §2.4–2.5): the value and the first step attaining it (where the gradient goes).
struct CutoffMaximum<T: FlowScalar> {
    var values: [T]
    var steps: [Int]

    init(_ probabilities: FlowMatrix<T>, cutoff: Double) {
        let first = Int((Double(probabilities.rows) * cutoff).rounded(.down))
        values = []
        steps = []
        for b in 0..<probabilities.columns {
            var best = first
            for k in (first + 1)..<max(probabilities.rows, first + 1) where probabilities[k, b] > probabilities[best, b] {
                best = k
            }
            steps.append(best)
            values.append(probabilities[best, b])
        }
    }

    static func validate(cutoff: Double, steps: Int) throws {
        guard cutoff >= 0, Int((Double(steps) * cutoff).rounded(.down)) < steps else {
            throw LatentFlowError.invalidParameter(name: "cutoff", reason: "\(cutoff) leaves no step of \(steps) after the cut-off")
        }
    }
}

/// Class weights from the labels of a batch (§2.4): w_c = count_c / B, absent classes get 0.
public func classWeights<T: FlowScalar>(labels: [Int], classCount: Int) throws -> [T] {
    guard !labels.isEmpty else { throw LatentFlowError.emptyInput(context: "labels") }
    if let bad = labels.first(where: { !(0..<classCount).contains($0) }) {
        throw LatentFlowError.invalidParameter(name: "label", reason: "\(bad) is not in 0..<\(classCount)")
    }
    var counts = [Int](repeating: 0, count: classCount)
    for label in labels { counts[label] += 1 }
    return counts.map { T(Double($0) / Double(labels.count)) }
}

/// Index of the nearest anchor (squared Euclidean distance) for every point (§2.3 read-out).
public func nearestAnchors<T: FlowScalar>(points: FlowMatrix<T>, anchors: FlowMatrix<T>) throws -> [Int] {
    try FlowValidation.finite(anchors, "anchors")
    try FlowValidation.columns(points, anchors.columns, "points")
    return (0..<points.rows).map { b in
        var best = 0, bestDistance = Double.infinity
        for j in 0..<anchors.rows {
            var distance = 0.0
            for k in 0..<points.columns {
                let diff = points[b, k].doubleValue - anchors[j, k].doubleValue
                distance += diff * diff
            }
            if distance < bestDistance { (best, bestDistance) = (j, distance) }
        }
        return best
    }
}

/// Classification by the label flow (§2.3): reverse Euler from the latents toward the label
/// anchors (optionally class-weighted), then the nearest label anchor of the end point.
public func classifyLatents<T: FlowScalar>(latents: FlowMatrix<T>, labelAnchors: FlowMatrix<T>,
                                           weights: [T]? = nil, steps: Int = 100) throws -> [Int] {
    let flow = try ReverseLatentFlow(start: latents, targetAnchors: labelAnchors, weights: weights,
                                     solver: .euler, steps: steps, recording: .none, keepTrajectory: false)
    return try nearestAnchors(points: flow.final, anchors: labelAnchors)
}

/// How the label loss scores the true class's probability q_b: −q_b as the paper (`prob`), or
/// −log q_b (`log_prob`, the cross-entropy form, which keeps pushing samples the flow misroutes).
public enum LabelLossForm: String, Codable, CaseIterable, Sendable {
    case prob
    case logProb = "log_prob"
}

/// The label loss of case study 3 (§2.4): reverse Euler from the image latents toward the label
/// anchors with class weights; q_b = max_{k ≥ ⌊K·cutoff⌋} π_k[b, label_b] and loss = −mean_b q_b
/// (the paper's form, a probability) or −mean_b log q_b (`LabelLossForm.logProb`).
public struct LabelLoss<T: FlowScalar> {
    public let loss: T
    /// max over the kept steps of the true-class probability, per sample.
    public let maxProbabilities: [T]
    /// Nearest label anchor of each reverse-flow end point (the §2.3 read-out of the same flow).
    public let predictions: [Int]
    public let reverse: ReverseLatentFlow<T>
    public let form: LabelLossForm
    let maximum: CutoffMaximum<T>
    let labels: [Int]

    public init(latents: FlowMatrix<T>, labelAnchors: FlowMatrix<T>, labels: [Int], weights: [T]?,
                steps: Int = 100, cutoff: Double = 0.2, form: LabelLossForm = .prob) throws {
        try CutoffMaximum<T>.validate(cutoff: cutoff, steps: steps)
        guard labels.count == latents.rows else {
            throw LatentFlowError.shapeMismatch(context: "labels", expected: "\(latents.rows)", actual: "\(labels.count)")
        }
        reverse = try ReverseLatentFlow(start: latents, targetAnchors: labelAnchors, weights: weights,
                                        solver: .euler, steps: steps, recording: .columns(labels))
        maximum = CutoffMaximum(reverse.selectedProbabilities!, cutoff: cutoff)
        self.labels = labels
        maxProbabilities = maximum.values
        self.form = form
        loss = T(-maximum.values.reduce(0.0) { $0 + form.score($1.doubleValue) } / Double(labels.count))
        predictions = try nearestAnchors(points: reverse.final, anchors: labelAnchors)
    }

    /// Gradients of `lossGradient · loss` w.r.t. the latents (`start`) and the label anchors.
    public func gradients(lossGradient: T = 1) throws -> ReverseFlowGradients<T> {
        let scale = -lossGradient.doubleValue / Double(labels.count)
        return try reverse.gradients(finalGradient: nil, probabilityGradients: sparseGradient(
            maximum, columns: labels, evaluations: reverse.times.count) { row in scale * form.derivative(maximum.values[row].doubleValue) })
    }
}

/// The assignment loss of case study 2 (§2.5): reverse flow from the view-0 latents toward the
/// view-1 anchors; q_b = max_{k ≥ ⌊K·cutoff⌋} π_k[b, b]; loss = −mean_b log q_b (the −mean q_b
/// term has coefficient 0 and is reported only).
public struct AssignmentLoss<T: FlowScalar> {
    public let loss: T
    public let probabilityLoss: T
    public let maxProbabilities: [T]
    /// mean_b π_last[b, b] (no gradient).
    public let assignmentAccuracy: T
    /// mean_b ‖a_{j*} − x_final,b‖ / ‖a_{j*}‖ with j* the most probable anchor at the last step.
    public let odeError: T
    public let reverse: ReverseLatentFlow<T>
    let maximum: CutoffMaximum<T>

    public init(latents: FlowMatrix<T>, targetAnchors: FlowMatrix<T>, weights: [T]? = nil,
                solver: LatentSolver = .euler, steps: Int = 20, cutoff: Double = 0.2) throws {
        try CutoffMaximum<T>.validate(cutoff: cutoff, steps: steps)
        try FlowValidation.shape(targetAnchors, rows: latents.rows, columns: latents.columns, "target anchors")
        let b = latents.rows
        reverse = try ReverseLatentFlow(start: latents, targetAnchors: targetAnchors, weights: weights,
                                        solver: solver, steps: steps, recording: .columns(Array(0..<b)))
        let selected = reverse.selectedProbabilities!
        maximum = CutoffMaximum(selected, cutoff: cutoff)
        maxProbabilities = maximum.values
        loss = T(-maximum.values.reduce(0.0) { $0 + FlooredLog.value($1.doubleValue) } / Double(b))
        probabilityLoss = T(-maximum.values.reduce(0.0) { $0 + $1.doubleValue } / Double(b))
        assignmentAccuracy = T((0..<b).reduce(0.0) { $0 + selected[steps - 1, $1].doubleValue } / Double(b))
        var error = 0.0
        for row in 0..<b {
            let target = reverse.lastMostProbable[row]
            var distance = 0.0, norm = 0.0
            for k in 0..<latents.columns {
                let a = targetAnchors[target, k].doubleValue
                distance += (a - reverse.final[row, k].doubleValue) * (a - reverse.final[row, k].doubleValue)
                norm += a * a
            }
            error += distance.squareRoot() / norm.squareRoot()
        }
        odeError = T(error / Double(b))
    }

    /// Gradients of `lossGradient · loss` w.r.t. the latents (`start`) and the target anchors.
    public func gradients(lossGradient: T = 1) throws -> ReverseFlowGradients<T> {
        let b = maximum.values.count
        let scale = -lossGradient.doubleValue / Double(b)
        return try reverse.gradients(finalGradient: nil, probabilityGradients: sparseGradient(
            maximum, columns: Array(0..<b), evaluations: reverse.times.count) { row in scale * FlooredLog.derivative(maximum.values[row].doubleValue) })
    }
}

extension LabelLossForm {
    /// The per-sample score whose negated mean is the loss.
    func score(_ q: Double) -> Double { self == .prob ? q : FlooredLog.value(q) }
    /// d score / d q.
    func derivative(_ q: Double) -> Double { self == .prob ? 1 : FlooredLog.derivative(q) }
}

/// log q for the −log q losses, with q floored at the smallest normal float. The posterior drops
/// terms far below its row maximum to exactly 0 (`PosteriorRows.flushBound`), so a sample whose
/// true anchor is far from the flow at every kept step has q = 0; it scores log(floor) ≈ −87.3
/// instead of −∞ (which would make the whole batch's step non-finite) and passes no gradient, as
/// under the `prob` form where such a sample's gradient vanishes too. Above the floor: exact.
enum FlooredLog {
    static let floor = Double(Float.leastNormalMagnitude)
    static func value(_ q: Double) -> Double { Foundation.log(Swift.max(q, floor)) }
    static func derivative(_ q: Double) -> Double { q >= floor ? 1 / q : 0 }
}

/// One entry per sample, at the step attaining its maximum: d loss / d π_{k*_b}[b, column_b].
private func sparseGradient<T: FlowScalar>(_ maximum: CutoffMaximum<T>, columns: [Int], evaluations: Int,
                                           value: (Int) -> Double) -> [[ProbabilityGradientEntry<T>]] {
    var entries = [[ProbabilityGradientEntry<T>]](repeating: [], count: evaluations)
    for (row, step) in maximum.steps.enumerated() {
        entries[step].append(ProbabilityGradientEntry(row: row, column: columns[row], value: T(value(row))))
    }
    return entries
}
