import ArgumentParser
import Foundation
import Pipeline
import Store

/// `lzn-pipe push DEST` and `lzn-pipe pull SRC`: store-to-store sync (see `Store.copyMissing`).
struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy into another store what it lacks: artifacts (only the missing chunks) and succeeded stage runs with their metrics.",
        discussion: "DEST is created when it does not exist. Running it again copies nothing; after an interruption it copies the rest.")

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "The store file to copy into.") var destination: String
    @Option(help: "Only this pipeline's stage runs and the artifacts they used and made.") var pipeline: String?

    func run() throws {
        try reportingErrors { try transfer(from: storeOptions.path, to: destination, pipeline: pipeline, verb: "push") }
    }
}

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Copy from another store what this one lacks: artifacts (only the missing chunks) and succeeded stage runs with their metrics.",
        discussion: "After a pull, `lzn-pipe run` reuses the pulled results (nothing that was computed there runs again).")

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "The store file to copy from.") var source: String
    @Option(help: "Only this pipeline's stage runs and the artifacts they used and made.") var pipeline: String?

    func run() throws {
        try reportingErrors { try transfer(from: source, to: storeOptions.path, pipeline: pipeline, verb: "pull") }
    }
}

/// Copies from one store file into another, holding the destination's run lock so no `run`
/// interleaves with it. `LZN_SYNC_THROTTLE_MS` pauses after each copied chunk (for tests that
/// interrupt a transfer).
private func transfer(from sourcePath: String, to destinationPath: String, pipeline: String?, verb: String) throws -> Int32 {
    let canonical = { (p: String) in URL(fileURLWithPath: p).resolvingSymlinksInPath().standardizedFileURL.path }
    if canonical(sourcePath) == canonical(destinationPath) {
        throw PipelineError.usage("\(verb): source and destination are the same store (\(sourcePath))")
    }
    let name = pipeline.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    let source = try Store.openForReading(sourcePath)
    defer { source.close() }
    let lock: StoreLock
    switch try StoreLock.acquire(store: destinationPath, purpose: "lzn-pipe \(verb)", wait: true, onWait: { holder in
        printError("store \(destinationPath) is in use by \(holder); waiting")
    }) {
    case .acquired(let l): lock = l
    case .busy(let holder): throw PipelineError.usage("store \(destinationPath) is in use by \(holder)")
    }
    defer { lock.release() }
    let destination = try Store.open(destinationPath)
    defer { destination.close() }
    let throttle = ProcessInfo.processInfo.environment["LZN_SYNC_THROTTLE_MS"].flatMap(UInt32.init) ?? 0
    let report = try destination.copyMissing(from: source, pipeline: name) { event in
        switch event {
        case .artifact(let artifact): print("copying \(artifact.kind.rawValue) \(artifact.label)")
        case .chunk: if throttle > 0 { usleep(throttle * 1000) }
        }
    }
    let scope = name.map { " of pipeline \($0)" } ?? ""
    if report.movedNothing {
        print("Nothing to \(verb): \(destinationPath) already has everything\(scope) in \(sourcePath).")
    } else {
        print("Copied \(report.summary)\(scope) from \(sourcePath) to \(destinationPath).")
    }
    return 0
}
