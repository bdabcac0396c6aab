// Linear probe (LZN-ALGORITHM.md §6.5): softmax regression with Adam on frozen features, top-1
// accuracy on held-out features. Same protocol for encoder features and for raw pixels.
import Datasets
import Engine
import NN

/// Row-major feature vectors with one class label each.
public struct LabelledFeatures: Sendable {
    public let features: [Float]
    public let labels: [Int]
    public let dimension: Int

    public var count: Int { labels.count }

    public init(features: [Float], labels: [Int], dimension: Int, source: String) throws {
        guard dimension >= 1, features.count == labels.count * dimension else {
            throw EvaluationError.invalidInput(context: "linear probe", detail: "\(source): \(features.count) feature values for \(labels.count) labels of dimension \(dimension)")
        }
        guard !labels.isEmpty else { throw EvaluationError.invalidInput(context: "linear probe", detail: "\(source): no samples") }
        if let bad = labels.first(where: { $0 < 0 }) {
            throw EvaluationError.invalidInput(context: "linear probe", detail: "\(source): negative label \(bad)")
        }
        if features.contains(where: { !$0.isFinite }) {
            throw EvaluationError.invalidInput(context: "linear probe", detail: "\(source): features contain non-finite values")
        }
        self.features = features
        self.labels = labels
        self.dimension = dimension
    }
}

public struct LinearProbeConfig: Sendable, Equatable {
    public var epochs: Int
    public var learningRate: Float
    public var batchSize: Int
    /// Seeds the classifier's initialisation and the training order.
    public var seed: UInt64
    /// Standardise each feature with the training set's mean and std (off in the paper's protocol).
    public var normalizeFeatures: Bool

    public init(epochs: Int = 30, learningRate: Float = 3e-4, batchSize: Int = 256, seed: UInt64 = 100, normalizeFeatures: Bool = false) {
        self.epochs = epochs
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.seed = seed
        self.normalizeFeatures = normalizeFeatures
    }
}

public struct LinearProbeResult: Sendable {
    public var trainAccuracy: Double
    public var testAccuracy: Double
    /// Mean training cross-entropy of each epoch.
    public var epochLosses: [Double]
}

public enum LinearProbe {
    /// Trains Linear(D → K) with cross-entropy and Adam (β 0.9/0.999, ε 1e-8, no weight decay) for
    /// `epochs` passes over `train` in the seeded order of Datasets' `EpochOrder`, last partial batch dropped; then reports
    /// top-1 accuracy on `train` and `test`. K = 1 + the largest label of either set.
    public static func run(train: LabelledFeatures, test: LabelledFeatures, config: LinearProbeConfig) throws -> LinearProbeResult {
        guard train.dimension == test.dimension else {
            throw EvaluationError.invalidInput(context: "linear probe", detail: "train features have dimension \(train.dimension), test features \(test.dimension)")
        }
        guard config.epochs >= 1, config.batchSize >= 1, config.learningRate > 0, config.learningRate.isFinite else {
            throw EvaluationError.invalidInput(context: "linear probe", detail: "epochs and batch size must be ≥ 1 and the learning rate positive (got \(config.epochs), \(config.batchSize), \(config.learningRate))")
        }
        let classes = max(train.labels.max()!, test.labels.max()!) + 1
        let batch = min(config.batchSize, train.count)
        let standardize = config.normalizeFeatures ? FeatureStandardizer(train) : nil

        var initRNG = Philox(seed: config.seed, stream: 1)
        let classifier = Linear(train.dimension, classes, rng: &initRNG)
        let optimizer = Adam(groups: [ParameterGroup(name: "probe", namedParameters: classifier.namedParameters(),
                                                     learningRate: config.learningRate)])
        var order = EpochOrder(count: train.count, batchSize: batch, dataSeed: config.seed)
        var epochLosses: [Double] = []
        for epoch in 0..<config.epochs {
            var lossSum = 0.0
            let batches = order.batchesPerEpoch
            for b in 0..<batches {
                let rows = order.indices(epoch: epoch, batch: b)
                let x = gatherRows(train, rows, standardize)
                let loss = crossEntropy(logits: classifier(x), labels: rows.map { train.labels[$0] })
                classifier.zeroGrad()
                loss.backward()
                optimizer.step()
                lossSum += Double(loss.scalar)
            }
            epochLosses.append(lossSum / Double(batches))
        }
        return LinearProbeResult(trainAccuracy: accuracy(classifier, train, standardize),
                                 testAccuracy: accuracy(classifier, test, standardize),
                                 epochLosses: epochLosses)
    }

    /// Top-1 accuracy of `classifier` on `set`, evaluated in chunks without recording a graph.
    static func accuracy(_ classifier: Linear, _ set: LabelledFeatures, _ standardize: FeatureStandardizer?) -> Double {
        let chunk = 4096
        var correct = 0
        withoutGrad {
            var start = 0
            while start < set.count {
                let rows = Array(start..<min(set.count, start + chunk))
                let logits = classifier(gatherRows(set, rows, standardize))
                let predictions = NetworkEvaluation.argmaxRows(logits.values, width: logits.shape[1])
                for (i, row) in rows.enumerated() where predictions[i] == set.labels[row] { correct += 1 }
                start += chunk
            }
        }
        return Double(correct) / Double(set.count)
    }

    static func gatherRows(_ set: LabelledFeatures, _ rows: [Int], _ standardize: FeatureStandardizer?) -> Tensor {
        let d = set.dimension
        let x = Tensor(shape: [rows.count, d])
        x.withUnsafeMutableBufferPointer { out in
            set.features.withUnsafeBufferPointer { src in
                for (i, row) in rows.enumerated() {
                    for j in 0..<d { out[i * d + j] = src[row * d + j] }
                }
            }
            standardize?.apply(out, rows: rows.count)
        }
        return x
    }
}

/// Per-feature (x − mean)/std with the training set's statistics (std floored at 1e-6).
struct FeatureStandardizer {
    let mean: [Float]
    let inverseStd: [Float]

    init(_ set: LabelledFeatures) {
        let d = set.dimension
        var sum = [Double](repeating: 0, count: d), sumSq = [Double](repeating: 0, count: d)
        set.features.withUnsafeBufferPointer { x in
            for r in 0..<set.count {
                for j in 0..<d { let v = Double(x[r * d + j]); sum[j] += v; sumSq[j] += v * v }
            }
        }
        let n = Double(set.count)
        mean = sum.map { Float($0 / n) }
        inverseStd = (0..<d).map { j in
            let variance = max(0, sumSq[j] / n - (sum[j] / n) * (sum[j] / n))
            return Float(1 / max(variance.squareRoot(), 1e-6))
        }
    }

    func apply(_ x: UnsafeMutableBufferPointer<Float>, rows: Int) {
        let d = mean.count
        for r in 0..<rows {
            for j in 0..<d { x[r * d + j] = (x[r * d + j] - mean[j]) * inverseStd[j] }
        }
    }
}
