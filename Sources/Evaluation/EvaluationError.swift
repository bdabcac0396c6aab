// The errors of the Evaluation library: each names what was being evaluated and what is wrong.

/// A failure of an evaluation computation or stage, with a message a user can act on.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    /// What was being done (`context`: "FID", "RK45", "linear probe", ...) cannot run on these
    /// inputs or settings (shapes, counts, ranges, missing metadata).
    case invalidInput(context: String, detail: String)
    /// A numerical method failed on valid inputs (LAPACK, an ODE step).
    case numericalFailure(context: String, detail: String)
    /// The checkpoint of training `mode` (metrics tag `tag`) has no `part`, which `purpose` needs.
    case missingModelPart(purpose: String, mode: String, tag: String, part: String)
    /// `source` (e.g. a feature file) could not be used; `cause` says why.
    indirect case source(String, cause: EvaluationError)

    /// What was being done.
    public var context: String {
        switch self {
        case .invalidInput(let context, _), .numericalFailure(let context, _): return context
        case .missingModelPart(let purpose, _, _, _): return purpose
        case .source(_, let cause): return cause.context
        }
    }

    /// What is wrong, without the context.
    public var detail: String {
        switch self {
        case .invalidInput(_, let detail), .numericalFailure(_, let detail): return detail
        case let .missingModelPart(_, mode, tag, part): return "the \(mode) checkpoint (\(tag)) has no \(part)"
        case let .source(source, cause): return "\(source): \(cause.detail)"
        }
    }

    public var description: String { "\(context): \(detail)" }
}
