/// Errors of the trainers and the training stage; each says what is wrong and where.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The configuration cannot be trained (found before any training step).
    case badConfiguration([String])
    /// A checkpoint that does not fit: another format, another architecture, missing tensors.
    case incompatibleCheckpoint(checkpoint: String, reason: String)

    public var description: String {
        switch self {
        case .badConfiguration(let problems):
            return "bad training configuration: " + problems.joined(separator: "; ")
        case .incompatibleCheckpoint(let checkpoint, let reason):
            return "checkpoint \(checkpoint) does not fit: \(reason)"
        }
    }
}
