/// Everything the store reports. Messages name the store file, artifact or blob concerned.
public enum StoreError: Error, CustomStringConvertible {
    /// A failed SQLite call: the operation (`context`), the extended result code and SQLite's message.
    case sqlite(store: String, code: Int32, message: String, context: String)
    case cannotCreateDirectory(path: String, reason: String)
    case noStore(String)
    case newerSchema(store: String, found: Int32, supported: Int32)
    case notAStore(store: String, reason: String)
    case artifactNotFound(String)
    case ambiguousArtifact(prefix: String, candidates: [String])
    case wrongKind(artifact: String, expected: String, actual: String)
    case blobNotFound(BlobAddress)
    case corruptBlob(address: BlobAddress, artifact: String?, detail: String)
    case badTensorPayload(artifact: String, detail: String)
    case memberNotFound(artifact: String, member: String)
    case stageRunNotFound(Int64)
    case invalidStageRunState(id: Int64, status: String, detail: String)
    case readOnlyQuery(String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .sqlite(store, code, message, context): return "store \(store): \(context): \(message) (SQLite code \(code))"
        case let .cannotCreateDirectory(path, reason): return "cannot create store directory \(path): \(reason)"
        case let .noStore(path): return "no store at \(path) (pass --store PATH or set $LZN_STORE; `lzn-pipe run` creates one)"
        case let .newerSchema(store, found, supported):
            return "store \(store) has schema version \(found), but this lzn-pipe supports at most \(supported); "
                + "use a newer lzn-pipe (the store was not modified)"
        case let .notAStore(store, reason): return "\(store) is not an lzn-pipe store: \(reason)"
        case let .artifactNotFound(ref): return "no artifact matches '\(ref)'"
        case let .ambiguousArtifact(prefix, candidates):
            return "artifact prefix '\(prefix)' is ambiguous: \(candidates.joined(separator: ", "))"
        case let .wrongKind(artifact, expected, actual): return "artifact \(artifact) is a \(actual), not a \(expected)"
        case let .blobNotFound(address): return "blob \(address) is missing from the store"
        case let .corruptBlob(address, artifact, detail):
            return "corrupt blob \(address)" + (artifact.map { " of artifact \($0)" } ?? "") + ": \(detail)"
        case let .badTensorPayload(artifact, detail): return "artifact \(artifact): bad tensor payload: \(detail)"
        case let .memberNotFound(artifact, member): return "artifact \(artifact) has no member '\(member)'"
        case let .stageRunNotFound(id): return "no stage run \(id)"
        case let .invalidStageRunState(id, status, detail): return "stage run \(id) is \(status): \(detail)"
        case let .readOnlyQuery(message): return "query refused: \(message)"
        case let .io(path, reason): return "\(path): \(reason)"
        }
    }
}
