import StageKit

/// A succeeded stage run as the planner needs it.
public struct RecordedRun: Equatable, Sendable {
    public var id: Int64
    public var signature: String
    /// `name@version` of the executable that produced it.
    public var identity: String
    public var params: [String: ParamValue]
    /// input name → content address of the artifact consumed.
    public var inputs: [String: String]
    /// output name → content address of the artifact produced.
    public var outputs: [String: String]

    public init(id: Int64, signature: String, identity: String, params: [String: ParamValue],
                inputs: [String: String], outputs: [String: String]) {
        self.id = id; self.signature = signature; self.identity = identity
        self.params = params; self.inputs = inputs; self.outputs = outputs
    }
}

/// The two questions the planner asks the store.
public protocol RunHistory {
    /// Any succeeded run with this signature (the run cache).
    func succeededRun(signature: String) throws -> RecordedRun?
    /// The newest succeeded run of this stage of this pipeline (what reasons compare against).
    func lastSucceededRun(pipeline: String, stage: String) throws -> RecordedRun?
}

/// The history of a store that does not exist yet.
public struct EmptyHistory: RunHistory {
    public init() {}
    public func succeededRun(signature: String) -> RecordedRun? { nil }
    public func lastSucceededRun(pipeline: String, stage: String) -> RecordedRun? { nil }
}

public enum StageAction: Equatable, Sendable {
    case run
    /// A succeeded run elsewhere in the store has the same signature: its outputs are reused.
    case reuse(runID: Int64)
    case upToDate
    /// Not needed for `--until`.
    case notRequested
}

public struct StagePlan: Equatable, Sendable {
    public var stage: String
    public var action: StageAction
    public var reasons: [StaleReason]
    /// Known unless an upstream stage has to run first.
    public var signature: String?
    /// The outputs when they are already in the store (up to date or reused).
    public var outputs: [String: String]?

    public var willExecute: Bool { action == .run }
}

/// Decides, per stage and in dependency order, whether to run, reuse or skip. Pure apart from
/// the `RunHistory` lookups, so it is tested on literal pipelines and histories.
///
///     ingest ──▶ train ──▶ generate      --set train.lr=…  ⇒  ingest: up to date,
///                                                              train: param lr changed,
///                                                              generate: upstream train will run
public struct Planner {
    public var pipeline: ValidatedPipeline
    public var history: RunHistory
    public var forced: Set<String>
    public var until: String?

    public init(pipeline: ValidatedPipeline, history: RunHistory, forced: Set<String> = [], until: String? = nil) {
        self.pipeline = pipeline; self.history = history; self.forced = forced; self.until = until
    }

    /// Stages `--until` asks for: the target and its ancestors (all stages without `--until`).
    public var requested: Set<String> {
        guard let until else { return Set(pipeline.stages.map(\.name)) }
        // A matrix stage's written name means all its members.
        return pipeline.stageNames(matching: until).reduce(into: Set<String>()) { wanted, name in
            wanted.formUnion(pipeline.graph.ancestors(of: name).union([name]))
        }
    }

    public func plan() throws -> [StagePlan] {
        let wanted = requested
        var plans: [String: StagePlan] = [:]
        var result: [StagePlan] = []
        for stage in pipeline.stages {
            let plan: StagePlan
            if !wanted.contains(stage.name) {
                plan = StagePlan(stage: stage.name, action: .notRequested, reasons: [], signature: nil, outputs: nil)
            } else {
                var addresses: [String: String]? = [:]
                var running: [String] = []
                for (input, ref) in stage.inputs {
                    if let address = plans[ref.stage]?.outputs?[ref.output] { addresses?[input] = address }
                    else { addresses = nil; if !running.contains(ref.stage) { running.append(ref.stage) } }
                }
                plan = try decide(stage, inputs: addresses, upstreamRunning: running.sorted())
            }
            plans[stage.name] = plan
            result.append(plan)
        }
        return result
    }

    /// The decision for one stage once its inputs are known (`inputs` nil while an upstream
    /// stage still has to run). The executor calls this again after upstream stages finish.
    public func decide(_ stage: ResolvedStage, inputs: [String: String]?, upstreamRunning: [String] = []) throws -> StagePlan {
        let previous = try history.lastSucceededRun(pipeline: pipeline.name, stage: stage.name)
        var reasons = previous.map { differences(stage, from: $0, inputs: inputs) } ?? [.neverRun]
        guard let inputs else {
            reasons.insert(.upstreamWillRun(stages: upstreamRunning), at: 0)
            if forced.contains(stage.name) { reasons.insert(.forced, at: 0) }
            return StagePlan(stage: stage.name, action: .run, reasons: reasons, signature: nil, outputs: nil)
        }
        let signature = StageSignature(stage.description, params: stage.params, inputs: inputs).digest
        if forced.contains(stage.name) {
            return StagePlan(stage: stage.name, action: .run, reasons: [.forced] + reasons, signature: signature, outputs: nil)
        }
        if let previous, previous.signature == signature {
            return StagePlan(stage: stage.name, action: .upToDate, reasons: [], signature: signature, outputs: previous.outputs)
        }
        if let cached = try history.succeededRun(signature: signature) {
            return StagePlan(stage: stage.name, action: .reuse(runID: cached.id), reasons: reasons, signature: signature, outputs: cached.outputs)
        }
        if reasons.isEmpty { reasons = [.notInStore] }
        return StagePlan(stage: stage.name, action: .run, reasons: reasons, signature: signature, outputs: nil)
    }

    /// Cheapest first: executable identity, then parameters, then inputs (when known).
    func differences(_ stage: ResolvedStage, from previous: RecordedRun, inputs: [String: String]?) -> [StaleReason] {
        var reasons: [StaleReason] = []
        if previous.identity != stage.description.identity {
            reasons.append(.executableChanged(old: previous.identity, new: stage.description.identity))
        }
        for key in Set(previous.params.keys).union(stage.params.keys).sorted() where previous.params[key] != stage.params[key] {
            reasons.append(.paramChanged(key: key, old: previous.params[key], new: stage.params[key]))
        }
        guard let inputs else { return reasons }
        for name in Set(previous.inputs.keys).union(inputs.keys).sorted() {
            switch (previous.inputs[name], inputs[name]) {
            case (nil, _?): reasons.append(.inputAdded(name: name))
            case (_?, nil): reasons.append(.inputRemoved(name: name))
            case let (old?, new?) where old != new: reasons.append(.inputChanged(name: name))
            default: break
            }
        }
        return reasons
    }
}
