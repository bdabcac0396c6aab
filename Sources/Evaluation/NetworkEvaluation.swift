// Running trained networks over whole datasets in batches (no gradients), and wrapping the
// decoder as the sampler's velocity field.
import Datasets
import Engine
import NN

public enum NetworkEvaluation {
    /// Rows of `network` applied to every image of `dataset` (in order, in batches of
    /// `batchSize`, images in [−1, 1]); returns the row-major outputs and their width.
    public static func map(_ dataset: Dataset, batchSize: Int, progress: ((Int) -> Void)? = nil,
                           _ network: (Tensor) -> Tensor) throws -> (values: [Float], width: Int) {
        try mapEach(dataset, batchSize: batchSize, progress: progress) { [network($0)] }[0]
    }

    /// Like `map` for a network with several outputs per batch (each [B, F_k]): one pass over the data.
    public static func mapEach(_ dataset: Dataset, batchSize: Int, progress: ((Int) -> Void)? = nil,
                               _ network: (Tensor) -> [Tensor]) throws -> [(values: [Float], width: Int)] {
        guard batchSize >= 1 else { throw EvaluationError.invalidInput(context: "evaluation", detail: "batch size must be ≥ 1, got \(batchSize)") }
        guard dataset.count >= 1 else { throw EvaluationError.invalidInput(context: "evaluation", detail: "the dataset \(dataset.source) is empty") }
        var outputs: [(values: [Float], width: Int)] = []
        try withoutGrad {
            var start = 0
            while start < dataset.count {
                let indices = Array(start..<min(dataset.count, start + batchSize))
                let x = Tensor(shape: [indices.count, dataset.channels, dataset.height, dataset.width])
                x.withUnsafeMutableBufferPointer { dataset.fillBatch(indices, into: $0) }
                let ys = network(x)
                for y in ys where y.rank != 2 || y.shape[0] != indices.count {
                    throw EvaluationError.invalidInput(context: "evaluation", detail: "network output \(y.shape) for a batch of \(indices.count)")
                }
                if outputs.isEmpty {
                    outputs = ys.map { y in
                        var values: [Float] = []
                        values.reserveCapacity(dataset.count * y.shape[1])
                        return (values, y.shape[1])
                    }
                }
                for (k, y) in ys.enumerated() { y.withUnsafeBufferPointer { outputs[k].values.append(contentsOf: $0) } }
                start += indices.count
                progress?(start)
            }
        }
        return outputs
    }

    /// The decoder's velocity û(x, τ) for a batch with fixed conditioning (latents [B, D] or nil,
    /// one-hot labels [B, K] or nil), in the flattened form the samplers use.
    public static func velocity(decoder: UNet, batch: Int, latents: Tensor?, labelsOneHot: Tensor?) -> ImageVelocity {
        let shape = [batch, decoder.imageChannels, decoder.imageSize, decoder.imageSize]
        return { x, tau in
            withoutGrad {
                decoder(xt: Tensor(shape: shape, values: x), tau: Tensor(shape: [batch], repeating: tau),
                        latent: latents, labelsOneHot: labelsOneHot).values
            }
        }
    }

    /// One-hot rows [B, K] of `labels`.
    public static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        let t = Tensor(shape: [labels.count, classes])
        t.withUnsafeMutableBufferPointer { out in
            for (row, label) in labels.enumerated() { out[row * classes + label] = 1 }
        }
        return t
    }

    /// The share of rows of `logits` (row-major, `width` columns) whose argmax is the row's label.
    public static func accuracy(logits: [Float], width: Int, labels: [Int]) -> Double {
        let predictions = argmaxRows(logits, width: width)
        precondition(predictions.count == labels.count && !labels.isEmpty, "accuracy: \(predictions.count) rows for \(labels.count) labels")
        return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// Argmax of each row of `logits`.
    public static func argmaxRows(_ values: [Float], width: Int) -> [Int] {
        values.withUnsafeBufferPointer { v in
            (0..<(v.count / max(width, 1))).map { row in
                var best = 0
                for c in 1..<max(width, 1) where v[row * width + c] > v[row * width + best] { best = c }
                return best
            }
        }
    }
}
