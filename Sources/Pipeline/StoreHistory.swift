import Store
import StageKit

/// The planner's questions answered from the store. Which executable version produced a stage
/// run is kept in its pipeline run's metadata (`identities`: stage → `name@version`), written
/// when the pipeline run begins.
public struct StoreHistory: RunHistory {
    public let store: Store
    public let pipeline: ValidatedPipeline

    public init(store: Store, pipeline: ValidatedPipeline) { self.store = store; self.pipeline = pipeline }

    /// The run cache: any succeeded stage run with this signature, whatever its stage name (the
    /// signature already pins the executable, its version, the parameters and the inputs).
    public func succeededRun(signature: String) throws -> RecordedRun? {
        guard let run = try store.findSucceededStageRun(signature: signature) else { return nil }
        let description = pipeline.stages.first { $0.name == run.stage }?.description
        return try recorded(run, identity: description?.identity ?? "unknown", description: description)
    }

    public func lastSucceededRun(pipeline name: String, stage: String) throws -> RecordedRun? {
        guard let run = try store.newestSucceededStageRun(pipeline: name, stage: stage) else { return nil }
        let metadata = try run.pipelineRun.flatMap(store.pipelineRun)?.metadata
        let identity = metadata?["identities"]?[stage]?.stringValue ?? "unknown"
        return try recorded(run, identity: identity, description: pipeline.stage(stage)?.description)
    }

    /// Stages whose newest run in this pipeline failed, was interrupted or is running now:
    /// stage → "failed, exit 1, stage run 7".
    public func unsuccessfulLatestAttempts() throws -> [String: String] {
        var out: [String: String] = [:]
        for run in try store.newestStageRuns(pipeline: pipeline.name) where run.status != .succeeded {
            out[run.stage] = "\(run.status.rawValue)\(run.exitCode.map { ", exit \($0)" } ?? ""), stage run \(run.id)"
        }
        return out
    }

    private func recorded(_ run: StageRun, identity: String, description: StageDescription?) throws -> RecordedRun {
        RecordedRun(id: run.id, signature: run.signature, identity: identity,
                    params: ParamValue.params(from: run.params, typedBy: description) ?? [:],
                    inputs: try store.stageInputs(run.id).mapValues(\.hex),
                    outputs: try store.stageOutputs(run.id).mapValues(\.hex))
    }
}
