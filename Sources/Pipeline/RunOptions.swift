/// How `lzn-pipe run` was asked to run.
public struct RunOptions: Sendable {
    public var forced: Set<String> = []
    public var forceAll = false
    public var until: String?
    public var jobs = 1
    public var wait = true

    public init(forced: Set<String> = [], forceAll: Bool = false, until: String? = nil, jobs: Int = 1, wait: Bool = true) {
        self.forced = forced; self.forceAll = forceAll; self.until = until; self.jobs = jobs; self.wait = wait
    }

    /// Checks the stage names against the pipeline (usage errors, exit 2).
    public func check(against pipeline: ValidatedPipeline) throws {
        let names = pipeline.stages.map(\.name)
        for name in forced.sorted() + (until.map { [$0] } ?? []) where pipeline.stageNames(matching: name).isEmpty {
            throw PipelineError.usage("no stage '\(name)' in \(pipeline.path) (stages: \(names.joined(separator: ", ")))")
        }
        if jobs < 1 { throw PipelineError.usage("--jobs must be at least 1") }
    }

    public func forcedStages(in pipeline: ValidatedPipeline) -> Set<String> {
        forceAll ? Set(pipeline.stages.map(\.name)) : Set(forced.flatMap(pipeline.stageNames(matching:)))
    }
}

/// The documented exit codes of `lzn-pipe run` (and the other pipeline commands).
public enum PipelineExit {
    public static let ok: Int32 = 0
    public static let stageFailed: Int32 = 1
    public static let invalid: Int32 = 2
    public static let lockBusy: Int32 = 3
    public static let interrupted: Int32 = 130
}

/// How each stage ended in one run.
public enum StageOutcome: Equatable, Sendable {
    case upToDate
    case reused(fromRun: Int64)
    case succeeded(stageRun: Int64, seconds: Double)
    case failed(stageRun: Int64, exitCode: Int32, seconds: Double)
    case interrupted(stageRun: Int64)
    case skipped(failedUpstream: [String])
    case notRequested
    case notStarted

    public var summary: String {
        switch self {
        case .upToDate: return "up to date"
        case .reused(let id): return "reused (stage run \(id))"
        case .succeeded(let id, let s): return "ran in \(ProgressDisplay.duration(s)) (stage run \(id))"
        case .failed(let id, let code, let s):
            return "FAILED, exit \(code), after \(ProgressDisplay.duration(s)) (stage run \(id); lzn-pipe log STAGE --run \(id))"
        case .interrupted(let id): return "interrupted (stage run \(id))"
        case .skipped(let up): return "skipped: upstream \(up.joined(separator: ", ")) failed"
        case .notRequested: return "not requested (--until)"
        case .notStarted: return "not started (interrupted)"
        }
    }
}
