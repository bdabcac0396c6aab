import StageKit

/// Why a stage will run (or not). Values, so `status`, `run --dry-run` and tests agree.
public enum StaleReason: Equatable, Sendable, CustomStringConvertible {
    case neverRun
    case forced
    case executableChanged(old: String, new: String)
    case paramChanged(key: String, old: ParamValue?, new: ParamValue?)
    case inputChanged(name: String)
    case inputAdded(name: String)
    case inputRemoved(name: String)
    case upstreamWillRun(stages: [String])
    /// Nothing visible changed but no succeeded run has this signature (e.g. outputs removed).
    case notInStore

    public var description: String {
        switch self {
        case .neverRun: return "never ran in this pipeline"
        case .forced: return "forced"
        case .executableChanged(let old, let new): return "executable changed \(old) → \(new)"
        case .paramChanged(let key, let old, let new):
            return "param \(key) changed \(old?.display ?? "(unset)") → \(new?.display ?? "(unset)")"
        case .inputChanged(let name): return "input \(name) changed"
        case .inputAdded(let name): return "input \(name) added"
        case .inputRemoved(let name): return "input \(name) removed"
        case .upstreamWillRun(let stages): return "upstream \(stages.joined(separator: ", ")) will run"
        case .notInStore: return "no succeeded run with this signature in the store"
        }
    }
}
