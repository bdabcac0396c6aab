import Engine

/// Errors of the NN library: loading weights, optimiser or EMA state that does not fit.
public enum NNError: Error, CustomStringConvertible, Equatable {
    /// Loading named tensors into `target` failed; every problem found is listed.
    case stateMismatch(target: String, problems: [StateProblem])

    public var description: String {
        switch self {
        case .stateMismatch(let target, let problems):
            return "loading \(target): " + problems.map(\.description).joined(separator: "; ")
        }
    }
}

public enum StateProblem: Equatable, CustomStringConvertible {
    case missingKey(String)
    case unexpectedKey(String)
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case invalidValue(key: String, reason: String)

    public var description: String {
        switch self {
        case .missingKey(let key): return "missing key '\(key)'"
        case .unexpectedKey(let key): return "unexpected key '\(key)'"
        case .shapeMismatch(let key, let expected, let found):
            return "key '\(key)' has shape \(found) in the state but \(expected) in the model"
        case .invalidValue(let key, let reason): return "key '\(key)': \(reason)"
        }
    }
}

/// Checks named tensors against the expected names and shapes; throws listing every problem.
/// Non-strict checks only the shapes of the keys present in both.
func checkNamedTensors(_ state: [String: Tensor], against expected: [(String, Tensor)],
                       strict: Bool, what: String) throws {
    var problems: [StateProblem] = []
    var known = Set<String>()
    for (name, tensor) in expected {
        known.insert(name)
        if let found = state[name] {
            if found.shape != tensor.shape {
                problems.append(.shapeMismatch(key: name, expected: tensor.shape, found: found.shape))
            }
        } else if strict {
            problems.append(.missingKey(name))
        }
    }
    if strict {
        for name in state.keys.sorted() where !known.contains(name) {
            problems.append(.unexpectedKey(name))
        }
    }
    if !problems.isEmpty { throw NNError.stateMismatch(target: what, problems: problems) }
}
