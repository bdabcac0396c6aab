import Foundation
import Store

/// A stage: what it declares and the function that does the work.
public struct Stage: Sendable {
    public let description: StageDescription
    public let run: @Sendable (StageContext) throws -> Void

    public init(_ description: StageDescription, run: @escaping @Sendable (StageContext) throws -> Void) {
        precondition(description.problems().isEmpty, "malformed stage description: \(description.problems())")
        self.description = description
        self.run = run
    }
}

/// Runs stages against a store. Pipeline mode and standalone mode share `execute`, so a stage
/// behaves the same whether the scheduler or a user started it.
public enum StageRunner {
    /// Pipeline mode: the scheduler created stage run `id` (status running, params, inputs);
    /// read them, run, and commit outputs + metrics in one transaction (status succeeded).
    public static func runRecorded(_ stage: Stage, store: Store, stageRun id: Int64) throws {
        try runAndCommit(stage, context: try recordedContext(stage, store: store, stageRun: id))
    }

    /// Standalone mode (e.g. `lzn-ingest --store PATH --format ...`): records a stage run of its
    /// own (outside any pipeline) and runs it like pipeline mode. A succeeded run with the same
    /// signature is reused instead of recomputed when `reuse` is true. Returns the outputs.
    @discardableResult
    public static func runStandalone(_ stage: Stage, store: Store, params given: [String: ParamValue],
                                     inputs: [String: ArtifactID] = [:], stageName: String? = nil,
                                     reuse: Bool = true) throws -> [String: Artifact] {
        let d = stage.description
        let name = stageName ?? d.name
        let params = try d.resolveParams(given)
        let signature = StageSignature(d, params: params, inputs: inputs.mapValues(\.hex)).digest
        if reuse, let done = try store.findSucceededStageRun(stage: name, signature: signature) {
            return try store.stageOutputs(done.id).mapValues { try store.artifact($0) }
        }
        let id = try store.beginStageRun(stage: name, signature: signature, params: ParamValue.json(params), inputs: inputs)
        do {
            try execute(stage, store: store, stageName: name, stageRunID: id, signature: signature, params: params, inputIDs: inputs)
        } catch {
            _ = try? store.finishStageRun(id, status: .failed, exitCode: 1)
            throw error
        }
        try store.finishStageRun(id, status: .succeeded, exitCode: 0)
        return try store.stageOutputs(id).mapValues { try store.artifact($0) }
    }

    /// A context for a helper process of the running stage run `id`, e.g. rank 0 of an MPI job the
    /// stage launched: the run's parameters, inputs, signature and resume name, and the store for
    /// checkpoints and `recordNow` metrics. Nothing else it collects is committed: outputs and final
    /// metrics go back to the stage's own process, which registers them.
    public static func helperContext(_ stage: Stage, store: Store, stageRun id: Int64) throws -> StageContext {
        try recordedContext(stage, store: store, stageRun: id)
    }

    /// The context of stage run `id` as the scheduler recorded it (status running, params, inputs).
    private static func recordedContext(_ stage: Stage, store: Store, stageRun id: Int64) throws -> StageContext {
        let name = stage.description.name
        guard let record = try store.stageRun(id) else {
            throw StageError.stageRunNotRunnable(stage: name, id: id, reason: "does not exist in \(store.path)")
        }
        guard record.status == .running else {
            throw StageError.stageRunNotRunnable(stage: record.stage, id: id, reason: "is \(record.status.rawValue), not running")
        }
        guard let given = ParamValue.params(from: record.params, typedBy: stage.description) else {
            throw StageError.stageRunNotRunnable(stage: record.stage, id: id, reason: "has unreadable params \(record.params.text)")
        }
        return try context(stage, store: store, stageName: record.stage, stageRunID: id, signature: record.signature,
                           params: given, inputIDs: try store.stageInputs(id))
    }

    static func execute(_ stage: Stage, store: Store, stageName: String, stageRunID: Int64, signature: String,
                        params given: [String: ParamValue], inputIDs: [String: ArtifactID]) throws {
        try runAndCommit(stage, context: try context(stage, store: store, stageName: stageName, stageRunID: stageRunID,
                                                     signature: signature, params: given, inputIDs: inputIDs))
    }

    /// Runs the stage, then commits its outputs and metrics in one transaction.
    private static func runAndCommit(_ stage: Stage, context: StageContext) throws {
        try stage.run(context)
        let missing = stage.description.outputs.map(\.name).filter { context.outputs[$0] == nil }
        guard missing.isEmpty else { throw StageError.missingOutputs(stage: context.stageName, outputs: missing) }
        try context.store.commitStageOutputs(stageRun: context.stageRunID, outputs: context.outputs.mapValues(\.id),
                                             metrics: context.metrics, discardingScratch: context.resumeName)
    }

    /// The run's context: parameters resolved and inputs checked against the description.
    static func context(_ stage: Stage, store: Store, stageName: String, stageRunID: Int64, signature: String,
                        params given: [String: ParamValue], inputIDs: [String: ArtifactID]) throws -> StageContext {
        let d = stage.description
        let params = try d.resolveParams(given)
        var inputs: [String: Artifact] = [:]
        for (inputName, id) in inputIDs {
            guard let spec = d.input(inputName) else { throw StageError.undeclaredInput(stage: stageName, input: inputName) }
            let artifact = try store.artifact(id)
            guard artifact.kind.rawValue == spec.kind else {
                throw StageError.wrongInputKind(stage: stageName, input: inputName, expected: spec.kind,
                                                got: artifact.kind.rawValue, artifact: artifact.label)
            }
            inputs[inputName] = artifact
        }
        for spec in d.inputs where !spec.optional && inputs[spec.name] == nil {
            throw StageError.missingInput(stage: stageName, input: spec.name)
        }
        return StageContext(store: store, description: d, stageName: stageName, stageRunID: stageRunID,
                            signature: signature, params: StageParams(params), inputs: inputs,
                            progress: ProgressReporter())
    }
}
