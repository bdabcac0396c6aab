import Foundation
import Store

/// Exit codes of stage executables.
public enum StageExit {
    public static let ok: Int32 = 0
    public static let failed: Int32 = 1
    public static let usage: Int32 = 2
}

/// The `main` of every stage executable:
/// - `STAGE --describe` prints the description JSON (parameters, inputs, outputs, version);
/// - `STAGE --store PATH --stage-run ID` runs a stage run the scheduler created;
/// - anything else goes to `standalone` (the executable's own command line, which calls
///   `StageRunner.runStandalone`), and returns its exit code.
/// Errors print one line naming the stage to stderr and exit non-zero; the store keeps nothing
/// marked succeeded.
public func stageMain(_ stage: Stage, arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                      standalone: (([String]) -> Int32)? = nil) -> Never {
    let name = stage.description.name
    if arguments == ["--describe"] {
        print(stage.description.jsonText())
        exit(StageExit.ok)
    }
    if arguments.contains("--stage-run") {
        guard arguments.count == 4, let s = arguments.firstIndex(of: "--store"), let r = arguments.firstIndex(of: "--stage-run"),
              s + 1 < arguments.count, r + 1 < arguments.count, let id = Int64(arguments[r + 1]) else {
            FileHandle.standardError.write(Data("\(name): usage: \(name) --store PATH --stage-run ID\n".utf8))
            exit(StageExit.usage)
        }
        ParentWatch.start()
        do {
            let store = try Store.open(arguments[s + 1])
            try StageRunner.runRecorded(stage, store: store, stageRun: id)
            store.close()
            exit(StageExit.ok)
        } catch {
            FileHandle.standardError.write(Data("\(name): error: \(error)\n".utf8))
            exit(StageExit.failed)
        }
    }
    guard let standalone else {
        FileHandle.standardError.write(Data("""
            \(name): \(stage.description.summary)
            usage: \(name) --describe | \(name) --store PATH --stage-run ID

            """.utf8))
        exit(arguments.isEmpty || arguments == ["--help"] ? StageExit.ok : StageExit.usage)
    }
    exit(standalone(arguments))
}

/// A stage started by the scheduler stops (SIGTERM to itself) when the scheduler dies, even by
/// SIGKILL, instead of running on as an orphan whose result nobody waits for: the next `run`
/// redoes it.
enum ParentWatch {
    static func start() {
        let parent = getppid()
        Thread.detachNewThread {
            while getppid() == parent { usleep(250_000) }
            kill(getpid(), SIGTERM)
        }
    }
}
