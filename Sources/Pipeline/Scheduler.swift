import Foundation
import Store
import StageKit

/// Executes a validated pipeline against a store: plans, then runs stale stages as child
/// processes in dependency order (up to `jobs` at once), reuses cached results, records every
/// stage run, and stops cleanly on SIGINT/SIGTERM. The caller holds the store lock.
public final class Scheduler {
    public struct Result {
        public var pipelineRun: Int64
        public var outcomes: [(stage: String, outcome: StageOutcome)]
        public var exitCode: Int32
        /// Stages whose executable actually ran.
        public var executed: Int { outcomes.filter { if case .succeeded = $0.outcome { return true }; if case .failed = $0.outcome { return true }; return false }.count }
    }

    private let pipeline: ValidatedPipeline
    private let store: Store
    private let locator: ExecutableLocator
    private let display: ProgressDisplay
    private let options: RunOptions
    private let events = EventQueue()
    private let stateLock = NSLock()
    private var interrupted = false
    private var running: [String: StageProcess] = [:]

    public init(pipeline: ValidatedPipeline, store: Store, locator: ExecutableLocator, display: ProgressDisplay, options: RunOptions) {
        self.pipeline = pipeline; self.store = store; self.locator = locator; self.display = display; self.options = options
    }

    private struct Launched {
        var id: Int64
        var started: Double
    }

    public func run() throws -> Result {
        try store.interruptAbandonedRuns()
        let planner = Planner(pipeline: pipeline, history: StoreHistory(store: store, pipeline: pipeline),
                              forced: options.forcedStages(in: pipeline), until: options.until)
        let wanted = planner.requested
        let identities = JSON.object(Dictionary(uniqueKeysWithValues: pipeline.stages.map { ($0.name, JSON.string($0.description.identity)) }))
        let runID = try store.beginPipelineRun(pipeline: pipeline.name, metadata: [
            "path": .string(pipeline.path), "identities": identities,
            "until": options.until.map(JSON.string) ?? .null,
            "forced": .array(options.forcedStages(in: pipeline).sorted().map(JSON.string)),
        ])
        let signals = installSignalHandlers()
        defer { signals.forEach { $0.cancel() }; signal(SIGINT, SIG_DFL); signal(SIGTERM, SIG_DFL) }

        var state = RunState(pending: pipeline.stages.filter { wanted.contains($0.name) })
        for stage in pipeline.stages where !wanted.contains(stage.name) { state.outcomes[stage.name] = .notRequested }
        do {
            while true {
                if !isInterrupted { try startReadyStages(&state, planner: planner, pipelineRun: runID) }
                if state.launched.isEmpty { break }
                guard let event = events.next() else { continue }  // woken by an interrupt
                try complete(event, &state)
            }
        } catch {
            // A store error mid-run: stop what is running, record it, and report the error.
            stopAll(state.launched)
            try? store.finishPipelineRun(runID, status: .failed)
            throw error
        }
        for stage in state.pending { state.outcomes[stage.name] = .notStarted }

        let ordered = pipeline.stages.map { (stage: $0.name, outcome: state.outcomes[$0.name] ?? .notStarted) }
        let anyFailed = ordered.contains { if case .failed = $0.outcome { return true }; if case .skipped = $0.outcome { return true }; return false }
        let status: RunStatus = isInterrupted ? .interrupted : anyFailed ? .failed : .succeeded
        try store.finishPipelineRun(runID, status: status)
        let exitCode = isInterrupted ? PipelineExit.interrupted : anyFailed ? PipelineExit.stageFailed : PipelineExit.ok
        return Result(pipelineRun: runID, outcomes: ordered, exitCode: exitCode)
    }

    /// What one run knows as it goes: each stage's outcome, the outputs of finished stages,
    /// the stages still to decide (dependency order) and the running ones.
    private struct RunState {
        var pending: [ResolvedStage]
        var outcomes: [String: StageOutcome] = [:]
        var outputs: [String: [String: String]] = [:]
        var launched: [String: Launched] = [:]

        init(pending: [ResolvedStage]) { self.pending = pending }

        func failedUpstream(of stage: ResolvedStage) -> [String] {
            stage.upstreamStages.filter { up in
                switch outcomes[up] {
                case .failed?, .skipped?, .interrupted?: return true
                default: return false
                }
            }
        }
    }

    /// Decides every pending stage whose inputs are known: skip it (an upstream failed), keep it
    /// (up to date), reuse a cached run, or launch it while fewer than `jobs` stages run.
    private func startReadyStages(_ state: inout RunState, planner: Planner, pipelineRun: Int64) throws {
        var index = 0
        while index < state.pending.count {
            let stage = state.pending[index]
            let failedUpstream = state.failedUpstream(of: stage)
            if !failedUpstream.isEmpty {
                state.outcomes[stage.name] = .skipped(failedUpstream: failedUpstream)
                display.message("- \(stage.name): skipped (upstream \(failedUpstream.joined(separator: ", ")) failed)")
                state.pending.remove(at: index)
                continue
            }
            guard stage.upstreamStages.allSatisfy({ state.outputs[$0] != nil }) else { index += 1; continue }
            let inputs = stage.inputs.compactMapValues { state.outputs[$0.stage]?[$0.output] }
            let plan = try planner.decide(stage, inputs: inputs)
            switch plan.action {
            case .upToDate, .notRequested:
                state.outcomes[stage.name] = .upToDate
                state.outputs[stage.name] = plan.outputs ?? [:]
            case .reuse(let cachedRun):
                try recordReuse(stage, plan: plan, inputs: inputs, cachedRun: cachedRun, pipelineRun: pipelineRun)
                state.outcomes[stage.name] = .reused(fromRun: cachedRun)
                state.outputs[stage.name] = plan.outputs ?? [:]
                display.message("= \(stage.name): reused results of stage run \(cachedRun) (\(plan.reasons.map(\.description).joined(separator: "; ")))")
            case .run:
                guard state.launched.count < options.jobs else { index += 1; continue }
                state.launched[stage.name] = try launch(stage, plan: plan, inputs: inputs, pipelineRun: pipelineRun)
            }
            state.pending.remove(at: index)
        }
    }

    private func complete(_ event: EventQueue.Event, _ state: inout RunState) throws {
        let start = state.launched.removeValue(forKey: event.stage)!
        stateLock.lock(); running[event.stage] = nil; stateLock.unlock()
        let outcome = try finish(event, launched: start)
        state.outcomes[event.stage] = outcome
        if case .succeeded(let id, _) = outcome {
            state.outputs[event.stage] = try store.stageOutputs(id).mapValues(\.hex)
        }
    }

    private func stopAll(_ launched: [String: Launched]) {
        stateLock.lock()
        interrupted = true
        let children = Array(running.values)
        stateLock.unlock()
        children.forEach { $0.terminate() }
        var remaining = launched
        while !remaining.isEmpty {
            guard let event = events.next(), let start = remaining.removeValue(forKey: event.stage) else { continue }
            _ = try? store.finishStageRun(start.id, status: .interrupted, exitCode: nil)
        }
    }

    private var isInterrupted: Bool {
        stateLock.lock(); defer { stateLock.unlock() }
        return interrupted
    }

    private func launch(_ stage: ResolvedStage, plan: StagePlan, inputs: [String: String], pipelineRun: Int64) throws -> Launched {
        let signature = plan.signature ?? StageSignature(stage.description, params: stage.params, inputs: inputs).digest
        let id = try store.beginStageRun(stage: stage.name, signature: signature, params: ParamValue.json(stage.params),
                                         inputs: try artifactIDs(inputs), pipelineRun: pipelineRun)
        let why = plan.reasons.map(\.description).joined(separator: "; ")
        display.message("▶ \(stage.name): running \(stage.description.identity) (\(why.isEmpty ? "stale" : why)) [stage run \(id)]")
        let started = ProcessInfo.processInfo.systemUptime
        guard let path = locator.path(of: stage.description.name) else {
            events.push(.init(stage: stage.name, ending: .exited(127), log: "executable \(stage.description.name) not found\n"))
            return Launched(id: id, started: started)
        }
        let process = StageProcess(path: path, arguments: ["--store", store.path, "--stage-run", String(id)])
        display.started(stage.name)
        let name = stage.name
        do {
            try process.start { [display] update in display.progress(name, update) }
        } catch {
            events.push(.init(stage: name, ending: .exited(126), log: "cannot start \(path): \(error)\n"))
            return Launched(id: id, started: started)
        }
        stateLock.lock()
        running[name] = process
        let stopNow = interrupted
        stateLock.unlock()
        if stopNow { process.terminate() }
        Thread.detachNewThread { [events] in
            let (ending, log) = process.wait()
            events.push(.init(stage: name, ending: ending, log: log))
        }
        return Launched(id: id, started: started)
    }

    private func finish(_ event: EventQueue.Event, launched: Launched) throws -> StageOutcome {
        display.finished(event.stage)
        let seconds = ProcessInfo.processInfo.systemUptime - launched.started
        let log = try? store.putText(event.log, name: "log/\(pipeline.name)/\(event.stage)/\(launched.id)")
        let exitCode: Int32
        let requested: RunStatus
        switch event.ending {
        case .exited(let code):
            exitCode = code
            requested = isInterrupted && code != 0 ? .interrupted : .failed
        case .signalled(let signal):
            exitCode = 128 + signal
            requested = isInterrupted || signal == SIGINT || signal == SIGTERM ? .interrupted : .failed
        }
        let final = try store.finishStageRun(launched.id, status: requested, exitCode: exitCode, log: log?.id)
        switch final {
        case .succeeded:
            display.message("✓ \(event.stage): done in \(ProgressDisplay.duration(seconds))")
            return .succeeded(stageRun: launched.id, seconds: seconds)
        case .interrupted:
            display.message("✗ \(event.stage): interrupted")
            return .interrupted(stageRun: launched.id)
        default:
            let reason = exitCode == 0 ? "exited 0 without registering its outputs" : "exit \(exitCode)"
            let tail = event.log.split(separator: "\n", omittingEmptySubsequences: false).suffix(12).joined(separator: "\n    ")
            display.message("✗ \(event.stage): FAILED (\(reason)); last lines of its log:\n    \(tail)")
            return .failed(stageRun: launched.id, exitCode: exitCode, seconds: seconds)
        }
    }

    /// A cache hit still gets a stage run in this pipeline run, succeeded with the cached
    /// outputs and metrics, so lineage, `status` and `latest_metrics` describe what is current.
    private func recordReuse(_ stage: ResolvedStage, plan: StagePlan, inputs: [String: String], cachedRun: Int64, pipelineRun: Int64) throws {
        let id = try store.beginStageRun(stage: stage.name, signature: plan.signature!, params: ParamValue.json(stage.params),
                                         inputs: try artifactIDs(inputs), pipelineRun: pipelineRun)
        try store.commitStageOutputs(stageRun: id, outputs: try artifactIDs(plan.outputs ?? [:]),
                                     metrics: try store.metrics(stageRun: cachedRun).map(\.metric))
        try store.finishStageRun(id, status: .succeeded, exitCode: nil)
    }

    private func artifactIDs(_ addresses: [String: String]) throws -> [String: ArtifactID] {
        try addresses.mapValues { hex in
            guard let id = ArtifactID(hex) else { throw PipelineError.malformedArtifactID(hex) }
            return id
        }
    }

    private func installSignalHandlers() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.interrupt(signal: sig) }
            source.resume()
            return source
        }
    }

    private func interrupt(signal: Int32) {
        stateLock.lock()
        let first = !interrupted
        interrupted = true
        let children = Array(running.values)
        stateLock.unlock()
        if first { display.message("received \(signal == SIGINT ? "SIGINT" : "SIGTERM"): stopping \(children.count) running stage(s)") }
        children.forEach { $0.terminate() }
        events.poke()
    }
}

/// Stage completions, handed from waiter threads to the scheduler's thread.
final class EventQueue: @unchecked Sendable {
    struct Event {
        var stage: String
        var ending: StageProcess.Ending
        var log: String
    }

    private let lock = NSLock()
    private let semaphore = DispatchSemaphore(value: 0)
    private var events: [Event] = []

    func push(_ event: Event) {
        lock.lock(); events.append(event); lock.unlock()
        semaphore.signal()
    }

    /// Wakes `next()` without an event (after an interrupt).
    func poke() { semaphore.signal() }

    func next() -> Event? {
        semaphore.wait()
        lock.lock(); defer { lock.unlock() }
        return events.isEmpty ? nil : events.removeFirst()
    }
}
