import Foundation
import Store

/// Everything a stage's run function gets: its typed parameters, its input artifacts, the open
/// store (to load inputs and put new artifacts), output registration, metrics and progress.
/// Outputs and buffered metrics are committed by the runtime in one transaction after the run
/// function returns; if it throws, nothing is marked succeeded.
public final class StageContext {
    public let store: Store
    public let description: StageDescription
    /// The stage's name in its pipeline (the executable name for a standalone run).
    public let stageName: String
    public let stageRunID: Int64
    /// The signature this run computes (same signature ⇒ same result); stages that resume from
    /// their own checkpoints look for earlier runs with it.
    public let signature: String
    public let params: StageParams
    public let progress: ProgressReporter
    private let inputs: [String: Artifact]
    private(set) var outputs: [String: Artifact] = [:]
    private(set) var metrics: [Metric] = []

    init(store: Store, description: StageDescription, stageName: String, stageRunID: Int64, signature: String,
         params: StageParams, inputs: [String: Artifact], progress: ProgressReporter) {
        self.store = store; self.description = description; self.stageName = stageName
        self.stageRunID = stageRunID; self.signature = signature; self.params = params
        self.inputs = inputs; self.progress = progress
    }

    /// A declared, required input (checked before the run function was called).
    public func input(_ name: String) -> Artifact {
        guard let spec = description.input(name) else { preconditionFailure("\(description.name) asked for undeclared input '\(name)'") }
        guard let artifact = inputs[name] else { preconditionFailure("\(description.name): optional input '\(spec.name)' read with input(_:); use optionalInput(_:)") }
        return artifact
    }

    public func optionalInput(_ name: String) -> Artifact? {
        precondition(description.input(name) != nil, "\(description.name) asked for undeclared input '\(name)'")
        return inputs[name]
    }

    /// Registers an artifact already put in the store as the output `name`.
    public func setOutput(_ name: String, _ artifact: Artifact) throws {
        guard let spec = description.output(name) else { throw StageError.undeclaredOutput(stage: stageName, output: name) }
        guard spec.kind == artifact.kind.rawValue else {
            throw StageError.wrongOutputKind(stage: stageName, output: name, expected: spec.kind, got: artifact.kind.rawValue)
        }
        outputs[name] = artifact
    }

    /// A metric committed together with the outputs (evaluation results, final values).
    public func metric(_ name: String, _ value: Double, step: Int? = nil, split: String? = nil, tag: String? = nil) {
        metrics.append(Metric(name, value, step: step, split: split, tag: tag))
    }

    /// Metrics written right away, visible while the stage runs (training curves). They stay
    /// attached to this stage run even if it later fails.
    public func recordNow(_ metrics: [Metric]) throws {
        try store.recordMetrics(stageRun: stageRunID, metrics)
    }

    /// The artifact name for this computation's intermediate state (e.g. training checkpoints).
    /// It contains the signature, so only a run of exactly the same computation (same code
    /// version, parameters and inputs) finds it: save checkpoints with `saveResumeState`, and after
    /// an interruption the rerun resumes from `latestResumeArtifact()`.
    public var resumeName: String {
        Self.resumeName(description, signature: signature, params: params.values, inputs: inputs.mapValues(\.id.hex))
    }

    /// "resume/<stage>/<key>" with the signature as the key, or, for a stage with launcher
    /// parameters, the digest of the signature without them (so e.g. a training run interrupted on
    /// 2 MPI ranks resumes on 4). `inputs` are artifact ids (hex).
    public static func resumeName(_ description: StageDescription, signature: String, params: [String: ParamValue],
                                  inputs: [String: String]) -> String {
        // With the launcher parameters at their defaults this is the signature itself.
        let key = description.launcherParams.isEmpty ? signature
            : StageSignature(executable: description.name, version: description.version,
                             params: description.signatureParams(params, droppingAllLauncherParams: true), inputs: inputs).digest
        return "resume/\(description.name)/\(key)"
    }

    /// Saves intermediate state under `resumeName` through `save`, then drops the earlier states
    /// there (the save is committed first, so a crash in between keeps one). When the run succeeds,
    /// the last of them goes too.
    @discardableResult
    public func saveResumeState(_ save: (_ name: String) throws -> Artifact) throws -> Artifact {
        let saved = try save(resumeName)
        try store.discardArtifacts(named: resumeName, keeping: saved.id)
        return saved
    }

    /// The newest artifact put under `resumeName`, or nil when no earlier attempt left one.
    public func latestResumeArtifact() throws -> Artifact? {
        do { return try store.resolve(resumeName) } catch StoreError.artifactNotFound { return nil }
    }

    /// A line of log text (the scheduler stores stdout and stderr as the stage run's log).
    public func log(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// Throws a stage failure with a message naming this stage.
    public func fail(_ message: String) -> StageError { .failed(stage: stageName, message: message) }
}
