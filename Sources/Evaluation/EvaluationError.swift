// The errors of the Evaluation library: each names what was being evaluated and what is wrong.

/// A failure of an evaluation computation or stage, with a message a user can act on.
public struct EvaluationError: Error, CustomStringConvertible, Equatable {
    /// What was being done ("FID", "RK45 sampler", "linear probe", ...).
    public let context: String
    public let message: String

    public init(_ context: String, _ message: String) {
        self.context = context
        self.message = message
    }

    public var description: String { "\(context): \(message)" }
}
