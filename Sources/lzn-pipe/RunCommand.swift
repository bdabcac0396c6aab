import ArgumentParser
import Foundation
import Pipeline
import Store

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the stale stages of a pipeline (only what changed is recomputed).",
        discussion: """
            Exit codes: 0 all requested stages up to date or succeeded; 1 a stage failed (its \
            dependents were skipped); 2 invalid pipeline or bad arguments; 3 the store is locked by \
            another run and --no-wait was given; 130 interrupted (SIGINT/SIGTERM).
            """)

    @OptionGroup var pipeline: PipelineArguments
    @OptionGroup var storeOptions: StoreOptions
    @Flag(help: "Print what would run and why, then stop.") var dryRun = false
    @Option(help: ArgumentHelp("Rerun this stage even if up to date (repeatable).", valueName: "STAGE")) var force: [String] = []
    @Flag(help: "Rerun every stage.") var forceAll = false
    @Option(help: ArgumentHelp("Only run this stage and what it depends on.", valueName: "STAGE")) var until: String?
    @Option(help: "How many stages may run at once.") var jobs = 1
    @Flag(help: "Fail with exit code 3 instead of waiting when another run holds the store.") var noWait = false

    func run() throws {
        try reportingErrors {
            let locator = ExecutableLocator.standard()
            let validated = try pipeline.load(locator: locator)
            let options = RunOptions(forced: Set(force), forceAll: forceAll, until: until, jobs: jobs, wait: !noWait)
            try options.check(against: validated)
            let storePath = storeOptions.path
            if dryRun { return try printPlan(validated, storePath: storePath, options: options, dryRun: true) }

            let lock: StoreLock
            switch try StoreLock.acquire(store: storePath, purpose: "lzn-pipe run \(validated.name)", wait: options.wait, onWait: { holder in
                printError("store \(storePath) is in use by \(holder); waiting (--no-wait to fail instead)")
            }) {
            case .acquired(let l): lock = l
            case .busy(let holder):
                printError("store \(storePath) is in use by \(holder)")
                return PipelineExit.lockBusy
            }
            defer { lock.release() }
            let store = try storeOptions.open()
            defer { store.close() }
            let display = ProgressDisplay()
            let started = Date()
            let result = try Scheduler(pipeline: validated, store: store, locator: locator, display: display, options: options).run()
            printSummary(result, pipeline: validated, seconds: Date().timeIntervalSince(started))
            return result.exitCode
        }
    }

    private func printSummary(_ result: Scheduler.Result, pipeline: ValidatedPipeline, seconds: Double) {
        let ran = result.executed
        let upToDate = result.outcomes.filter { $0.outcome == .upToDate }.count
        if ran == 0 && !result.outcomes.contains(where: { if case .reused = $0.outcome { return true }; return false }) && result.exitCode == 0 {
            print("Nothing to do: \(upToDate) stage(s) of \(pipeline.name) up to date (pipeline run \(result.pipelineRun), \(ProgressDisplay.duration(seconds))).")
            return
        }
        print("\nSummary of pipeline run \(result.pipelineRun) (\(pipeline.name), \(ProgressDisplay.duration(seconds))):")
        let width = result.outcomes.map(\.stage.count).max() ?? 0
        for (stage, outcome) in result.outcomes {
            var text = outcome.summary
            if case .failed = outcome { text += " — lzn-pipe log \(stage) --run \(result.pipelineRun)" }
            print("  " + stage.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + text)
        }
        switch result.exitCode {
        case PipelineExit.ok: print("\(ran) stage(s) ran, all succeeded.")
        case PipelineExit.interrupted: print("Interrupted; the next run redoes the interrupted stages.")
        default: print("Some stages failed; fix them and run again (finished stages are kept).")
        }
    }
}

/// `run --dry-run` and `status`: the plan against the current store, one line per stage.
func printPlan(_ pipeline: ValidatedPipeline, storePath: String, options: RunOptions, dryRun: Bool) throws -> Int32 {
    let exists = FileManager.default.fileExists(atPath: storePath)
    let store = exists ? try Store.openForReading(storePath) : nil
    defer { store?.close() }
    let history: RunHistory = store.map { StoreHistory(store: $0, pipeline: pipeline) } ?? EmptyHistory()
    let plans = try Planner(pipeline: pipeline, history: history, forced: options.forcedStages(in: pipeline), until: options.until).plan()
    let lastFailures = try store.map { try StoreHistory(store: $0, pipeline: pipeline).unsuccessfulLatestAttempts() } ?? [:]
    print("\(pipeline.name) (\(pipeline.path)), store \(storePath)\(dryRun ? " — dry run" : ""):")
    let width = plans.map(\.stage.count).max() ?? 0
    for plan in plans {
        let why = plan.reasons.map(\.description).joined(separator: "; ")
        var text: String
        switch plan.action {
        case .upToDate: text = "up to date"
        case .notRequested: text = "not requested (--until)"
        case .reuse(let id): text = (dryRun ? "would reuse" : "stale, cached") + " stage run \(id): \(why)"
        case .run: text = (dryRun ? "would run: " : "stale: ") + why
        }
        if plan.action != .upToDate, let failure = lastFailures[plan.stage] { text += " [last attempt \(failure)]" }
        print("  " + plan.stage.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + text)
    }
    let stale = plans.filter { $0.action == .run }.count
    let reused = plans.filter { if case .reuse = $0.action { return true }; return false }.count
    print(stale + reused == 0 ? "Everything is up to date." : "\(stale) stage(s) \(dryRun ? "would run" : "stale"), \(reused) cached.")
    return PipelineExit.ok
}
