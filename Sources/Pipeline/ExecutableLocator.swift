import Foundation
import StageKit

/// Finds stage executables — first in the directory of the running `lzn-pipe` (a build puts
/// them all side by side), then on `PATH` — and asks each for its description once.
public final class ExecutableLocator: @unchecked Sendable {
    public let searchDirectories: [String]
    private var descriptions: [String: StageDescription] = [:]
    private let lock = NSLock()

    public init(searchDirectories: [String]) { self.searchDirectories = searchDirectories }

    /// The directory of the running executable, then `PATH`.
    public static func standard() -> ExecutableLocator {
        var dirs = [Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent().path
                    ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path]
        dirs += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return ExecutableLocator(searchDirectories: dirs)
    }

    public func path(of executable: String) -> String? {
        guard !executable.contains("/") else {
            return FileManager.default.isExecutableFile(atPath: executable) ? executable : nil
        }
        for dir in searchDirectories where !dir.isEmpty {
            let candidate = (dir as NSString).appendingPathComponent(executable)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The executable's `--describe` output; nil when it cannot be found. An executable that is
    /// found but does not describe itself properly is an error naming it.
    public func describe(_ executable: String) throws -> StageDescription? {
        lock.lock(); defer { lock.unlock() }
        if let known = descriptions[executable] { return known }
        guard let path = path(of: executable) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--describe"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw PipelineError.describeFailed(executable: executable, path: path, reason: "\(error)")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PipelineError.describeFailed(executable: executable, path: path,
                                               reason: "exit \(process.terminationStatus): \(errText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let description: StageDescription
        do { description = try JSONDecoder().decode(StageDescription.self, from: data) } catch {
            throw PipelineError.describeFailed(executable: executable, path: path, reason: "not a stage description: \(error)")
        }
        let problems = description.problems()
        guard problems.isEmpty else {
            throw PipelineError.describeFailed(executable: executable, path: path, reason: problems.joined(separator: "; "))
        }
        descriptions[executable] = description
        return description
    }
}
