import Foundation

/// A place in a pipeline file (or on the command line, for `--set`).
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?

    public init(file: String, line: Int?) { self.file = file; self.line = line }
    public var description: String { line.map { "\(file):\($0)" } ?? file }
}

/// One problem found while loading or validating a pipeline.
public struct PipelineIssue: Equatable, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(_ location: SourceLocation, _ message: String) { self.location = location; self.message = message }
    public var description: String { "\(location): \(message)" }
}

/// Errors of the Pipeline library; messages live in this one switch.
public enum PipelineError: Error, CustomStringConvertible {
    /// The pipeline is invalid; every problem found is listed (nothing ran).
    case invalid([PipelineIssue])
    /// Bad command-line use (unknown stage in --force/--until/--set, malformed --set).
    case usage(String)
    case pipelineNotFound(name: String, searched: [String])
    /// The pipeline file could not be read; `underlying` is the file system's error.
    case unreadable(path: String, underlying: any Error)
    case describeFailed(executable: String, path: String, reason: String)
    /// The store's lock file (`STORE.lock`) could not be opened or locked; `errno` says why.
    case storeLock(path: String, operation: LockOperation, errno: Int32)
    /// A recorded artifact address that is not a SHA-256 hex digest.
    case malformedArtifactID(String)
    /// A pipeline file that is not valid TOML (of the subset `TOMLParser` reads).
    case toml(line: Int, message: String)
    /// Stages whose inputs form a cycle, in order, the first repeated last.
    case cycle(stages: [String])

    public enum LockOperation: Sendable { case open, lock }

    public var description: String {
        switch self {
        case .invalid(let issues):
            return "invalid pipeline:\n" + issues.map { "  \($0)" }.joined(separator: "\n")
        case .usage(let message):
            return message
        case .pipelineNotFound(let name, let searched):
            return "no pipeline '\(name)' (looked for: \(searched.joined(separator: ", ")))"
        case .unreadable(let path, let underlying):
            return "cannot read \(path): \(underlying.localizedDescription)"
        case .describeFailed(let executable, let path, let reason):
            return "\(executable) (\(path)) --describe failed: \(reason)"
        case .storeLock(let path, let operation, let code):
            let what = operation == .open ? "open lock file" : "lock"
            return "store: cannot \(what) \(path): \(String(cString: strerror(code)))"
        case .malformedArtifactID(let hex):
            return "store: malformed artifact id \(hex)"
        case .toml(let line, let message):
            return "line \(line): \(message)"
        case .cycle(let stages):
            return "cycle: \(stages.joined(separator: " → "))"
        }
    }
}
