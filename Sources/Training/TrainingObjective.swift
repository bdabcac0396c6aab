import Datasets
import Engine

/// The loss of one training iteration on one batch, with its terms for the metrics.
public struct ObjectiveOutput {
    /// The scalar to back-propagate.
    public var loss: Tensor
    /// Named values logged with the step (each loss term, diagnostics).
    public var terms: [String: Double]
}

/// One trainer's per-iteration computation (§3.2–3.3 and the baselines): from the batch's sample
/// indices and the iteration's generators to a differentiable loss. `diagnostics` asks for the
/// extra no-gradient values (accuracies) that are only logged every few iterations.
///
/// `indices` is the whole (global) batch; `shard` says which rows this process computes. The
/// returned `loss` is this rank's share (the ranks' losses sum to the single-process loss), the
/// `terms` are the values for the whole batch, the same on every rank.
protocol TrainingObjective {
    func loss(indices: [Int], randomness: IterationRandomness, diagnostics: Bool, shard: BatchShard) throws -> ObjectiveOutput
}

extension Dataset {
    /// One-hot rows [B, K] of the labels of `indices`.
    func oneHotLabels(_ indices: [Int], classCount: Int) -> Tensor {
        let labels = labels!
        var values = [Float](repeating: 0, count: indices.count * classCount)
        for (row, index) in indices.enumerated() { values[row * classCount + labels[index]] = 1 }
        return Tensor(shape: [indices.count, classCount], values: values)
    }
}

/// Fraction of rows whose arg-max equals the label.
func argmaxAccuracy(_ logits: Tensor, labels: [Int]) -> Double {
    let classes = logits.shape[1]
    return logits.withUnsafeBufferPointer { x in
        var correct = 0
        for (row, label) in labels.enumerated() {
            var best = 0
            for j in 1..<classes where x[row * classes + j] > x[row * classes + best] { best = j }
            if best == label { correct += 1 }
        }
        return Double(correct) / Double(max(labels.count, 1))
    }
}
