import Foundation
import StageKit

/// One stage executable running as a child process. stdout and stderr share one pipe, so the
/// log keeps their interleaving; `@progress` lines are handed to `onProgress` and kept out of
/// the log (except the last one, which says how far the stage got).
public final class StageProcess: @unchecked Sendable {
    public enum Ending: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    private let process = Process()
    private let reader = DispatchGroup()
    /// Signalled by the termination handler. Foundation's `waitUntilExit` polls the run loop, which
    /// on a thread without run-loop sources spins about a third of a core for as long as the child
    /// runs (measured: 1 CPU-second per 3 s of `sleep`), slowing the stage it waits for.
    private let exited = DispatchSemaphore(value: 0)
    private var logLines: [String] = []
    private var lastProgress: String?

    public init(path: String, arguments: [String]) {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
    }

    public var pid: Int32 { process.processIdentifier }

    public func start(onProgress: @escaping @Sendable (ProgressUpdate) -> Void) throws {
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        let handle = pipe.fileHandleForReading
        reader.enter()
        Thread.detachNewThread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    consume(line, onProgress)
                }
            }
            if !pending.isEmpty { consume(String(decoding: pending, as: UTF8.self), onProgress) }
            reader.leave()
        }
    }

    private func consume(_ line: String, _ onProgress: (ProgressUpdate) -> Void) {
        if let update = ProgressUpdate(line: line) {
            lastProgress = line
            onProgress(update)
        } else {
            logLines.append(line)
        }
    }

    /// Asks the child to stop (SIGTERM); it records nothing as succeeded unless it finishes.
    public func terminate() {
        if process.isRunning { process.terminate() }
    }

    /// Waits for the child and for its output to drain; returns how it ended and its log.
    public func wait() -> (ending: Ending, log: String) {
        exited.wait()
        exited.signal()  // later waits return at once
        reader.wait()
        let ending: Ending = process.terminationReason == .uncaughtSignal
            ? .signalled(process.terminationStatus) : .exited(process.terminationStatus)
        var lines = logLines
        if let lastProgress { lines.append(lastProgress) }
        return (ending, lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n"))
    }
}
