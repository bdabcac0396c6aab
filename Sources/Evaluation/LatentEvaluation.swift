// LZN latents at evaluation time (LZN-ALGORITHM.md §3.2, §6.2, §6.4): anchor set = each evaluation
// batch, DPM-Solver++ order 3 with 20 steps; the §6.4 accuracy through LZN's label read-out;
// class-conditional latents through the forward label flow.
import Engine
import LZN

public struct LatentFlowSettings: Sendable, Equatable {
    public var batchSize: Int
    public var solver: LatentSolver
    public var steps: Int
    /// Multiplies the prior draws before eps-mixing (§6.4 tunable-std variant; 1 = the default).
    public var priorScale: Double
    public var seed: UInt64

    public init(batchSize: Int = 2000, solver: LatentSolver = .dpmSolver(order: 3), steps: Int = 20,
                priorScale: Double = 1, seed: UInt64 = 0) {
        self.batchSize = batchSize
        self.solver = solver
        self.steps = steps
        self.priorScale = priorScale
        self.seed = seed
    }
}

public enum LatentEvaluation {
    /// Latents of `anchors` (N×D), computed batch by batch with each batch as its own anchor set;
    /// the prior draws of batch i come from `Philox(seed).split(i)`. A last partial batch is kept.
    public static func latents(anchors: FlowMatrix<Float>, settings: LatentFlowSettings) throws -> FlowMatrix<Float> {
        try validate(settings, count: anchors.rows)
        let d = anchors.columns
        var out = [Float](repeating: 0, count: anchors.rows * d)
        let root = Philox(seed: settings.seed)
        for (index, range) in batches(anchors.rows, settings.batchSize).enumerated() {
            let batch = FlowMatrix(rows: range.count, columns: d, values: Array(anchors.values[(range.lowerBound * d)..<(range.upperBound * d)]))
            var rng = root.split(UInt64(index))
            var prior = [Float](repeating: 0, count: range.count * d)
            prior.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
            let flow = try ForwardLatentFlow(ownAnchors: batch, anchorSet: batch,
                                             prior: FlowMatrix(rows: range.count, columns: d, values: prior),
                                             solver: settings.solver, steps: settings.steps,
                                             priorScale: settings.priorScale, keepTrajectory: false)
            out.replaceSubrange((range.lowerBound * d)..<(range.upperBound * d), with: flow.latents.values)
        }
        return FlowMatrix(rows: anchors.rows, columns: d, values: out)
    }

    /// §6.4 accuracy, per evaluation batch: uniform weights, and weights = the class frequencies of
    /// the batch's true labels.
    public static func classAccuracy(anchors: FlowMatrix<Float>, labels: [Int], labelAnchors: FlowMatrix<Float>,
                                     settings: LatentFlowSettings, labelSteps: Int = 100) throws -> (uniform: Double, classWeights: Double) {
        guard labels.count == anchors.rows else {
            throw EvaluationError.invalidInput(context: "class accuracy", detail: "\(labels.count) labels for \(anchors.rows) images")
        }
        let k = labelAnchors.rows
        if let bad = labels.first(where: { !(0..<k).contains($0) }) {
            throw EvaluationError.invalidInput(context: "class accuracy", detail: "label \(bad) outside the \(k) label anchors")
        }
        let latents = try latents(anchors: anchors, settings: settings)
        let d = anchors.columns
        var correct = 0, correctWeighted = 0
        for range in batches(anchors.rows, settings.batchSize) {
            let batch = FlowMatrix(rows: range.count, columns: d, values: Array(latents.values[(range.lowerBound * d)..<(range.upperBound * d)]))
            let truth = Array(labels[range])
            let weights: [Float] = try classWeights(labels: truth, classCount: k)
            let plain = try classifyLatents(latents: batch, labelAnchors: labelAnchors, steps: labelSteps)
            let weighted = try classifyLatents(latents: batch, labelAnchors: labelAnchors, weights: weights, steps: labelSteps)
            correct += zip(plain, truth).filter { $0 == $1 }.count
            correctWeighted += zip(weighted, truth).filter { $0 == $1 }.count
        }
        return (Double(correct) / Double(labels.count), Double(correctWeighted) / Double(labels.count))
    }

    /// §3.2 conditional generation: forward Euler flow (100 steps, eps 1e-4) from
    /// 1e-4·z + (1 − 1e-4)·ℓ_c with all label anchors as the anchor set.
    public static func classLatents(classes: [Int], labelAnchors: FlowMatrix<Float>, prior: FlowMatrix<Float>,
                                    steps: Int = 100) throws -> FlowMatrix<Float> {
        let d = labelAnchors.columns
        if let bad = classes.first(where: { !(0..<labelAnchors.rows).contains($0) }) {
            throw EvaluationError.invalidInput(context: "conditional generation", detail: "class \(bad) outside the \(labelAnchors.rows) label anchors")
        }
        var own = [Float](repeating: 0, count: classes.count * d)
        for (row, c) in classes.enumerated() {
            for j in 0..<d { own[row * d + j] = labelAnchors.values[c * d + j] }
        }
        return try ForwardLatentFlow(ownAnchors: FlowMatrix(rows: classes.count, columns: d, values: own), anchorSet: labelAnchors,
                                     prior: prior, solver: .euler, steps: steps, keepTrajectory: false).latents
    }

    static func batches(_ count: Int, _ size: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: size).map { $0..<min(count, $0 + size) }
    }

    static func validate(_ settings: LatentFlowSettings, count: Int) throws {
        guard settings.batchSize >= 1, count >= 1 else {
            throw EvaluationError.invalidInput(context: "LZN latents", detail: "batch size must be ≥ 1 and at least one image is needed (batch \(settings.batchSize), \(count) images)")
        }
    }
}
