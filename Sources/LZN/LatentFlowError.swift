/// Bad input to a latent flow or a loss built on it. `context` names the argument or file.
public enum LatentFlowError: Error, Equatable, CustomStringConvertible {
    case emptyInput(context: String)
    case shapeMismatch(context: String, expected: String, actual: String)
    case nonFinite(context: String, index: Int)
    case invalidWeights(context: String, reason: String)
    case invalidParameter(name: String, reason: String)

    public var description: String {
        switch self {
        case .emptyInput(let context):
            return "\(context): empty input (need at least one row and one column)"
        case .shapeMismatch(let context, let expected, let actual):
            return "\(context): shape mismatch: expected \(expected), got \(actual)"
        case .nonFinite(let context, let index):
            return "\(context): non-finite value (NaN or infinity) at flat index \(index)"
        case .invalidWeights(let context, let reason):
            return "\(context): invalid anchor weights: \(reason)"
        case .invalidParameter(let name, let reason):
            return "invalid \(name): \(reason)"
        }
    }
}

enum FlowValidation {
    static func finite<T: FlowScalar>(_ matrix: FlowMatrix<T>, _ context: String) throws {
        guard matrix.rows > 0, matrix.columns > 0 else { throw LatentFlowError.emptyInput(context: context) }
        if let bad = matrix.values.firstIndex(where: { !$0.isFinite }) {
            throw LatentFlowError.nonFinite(context: context, index: bad)
        }
    }

    static func shape<T: FlowScalar>(_ matrix: FlowMatrix<T>, rows: Int, columns: Int, _ context: String) throws {
        guard matrix.rows == rows, matrix.columns == columns else {
            throw LatentFlowError.shapeMismatch(context: context, expected: "\(rows)×\(columns)",
                                                actual: "\(matrix.rows)×\(matrix.columns)")
        }
    }

    static func columns<T: FlowScalar>(_ matrix: FlowMatrix<T>, _ columns: Int, _ context: String) throws {
        guard matrix.columns == columns else {
            throw LatentFlowError.shapeMismatch(context: context, expected: "? × \(columns)",
                                                actual: "\(matrix.rows)×\(matrix.columns)")
        }
    }

    /// Weights must be finite, non-negative, one per anchor, and not all zero.
    static func weights<T: FlowScalar>(_ weights: [T]?, anchorCount: Int, _ context: String) throws {
        guard let weights else { return }
        guard weights.count == anchorCount else {
            throw LatentFlowError.shapeMismatch(context: context, expected: "\(anchorCount) weights",
                                                actual: "\(weights.count)")
        }
        if let bad = weights.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw LatentFlowError.invalidWeights(context: context, reason: "weight \(bad) is \(weights[bad])")
        }
        guard weights.contains(where: { $0 > 0 }) else {
            throw LatentFlowError.invalidWeights(context: context, reason: "all weights are zero")
        }
    }

    static func steps(_ steps: Int) throws {
        guard steps >= 1 else { throw LatentFlowError.invalidParameter(name: "steps", reason: "must be ≥ 1, got \(steps)") }
    }
}
