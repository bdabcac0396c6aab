/// Errors of the trainers and the training stage; each says what is wrong and where.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The configuration cannot be trained (found before any training step).
    case badConfiguration([String])
    /// A checkpoint that does not fit: another format, another architecture, missing tensors.
    case incompatibleCheckpoint(checkpoint: String, reason: String)
    /// Every one of the last `count` iterations (up to `iteration`, 0-based) was skipped.
    case diverged(iteration: Int, count: Int, terms: [String: Double])

    public var description: String {
        switch self {
        case .badConfiguration(let problems):
            return "bad training configuration: " + problems.joined(separator: "; ")
        case .incompatibleCheckpoint(let checkpoint, let reason):
            return "checkpoint \(checkpoint) does not fit: \(reason)"
        case .diverged(let iteration, let count, let terms):
            let last = terms.isEmpty ? "" : "; the last step's loss terms: "
                + terms.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "training diverged: iterations \(iteration - count + 2)–\(iteration + 1) were all skipped "
                + "(non-finite loss or gradient norm)\(last); lower the learning rates or change the loss settings"
        }
    }
}
