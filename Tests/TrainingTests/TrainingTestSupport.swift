import Models
import Datasets
import Engine
import Foundation
import Training

/// Small synthetic data the trainers can learn in seconds at preset xs.
enum SyntheticData {
    /// `count` 1-channel `size`×`size` images of `classes` (≤ 4) separable classes: class k has a
    /// bright square in quadrant k on a dark, noisy background.
    static func quadrants(count: Int = 128, size: Int = 8, classes: Int = 4, labelled: Bool = true, seed: UInt64 = 7) -> Dataset {
        var rng = Philox(seed: seed)
        var images = [UInt8](repeating: 0, count: count * size * size)
        var labels: [Int] = []
        let half = size / 2
        for n in 0..<count {
            let label = n % classes
            labels.append(label)
            let (top, left) = ((label / 2) * half, (label % 2) * half)
            for y in 0..<size {
                for x in 0..<size {
                    let inside = (top..<(top + half)).contains(y) && (left..<(left + half)).contains(x)
                    let base: Float = inside ? 220 : 30
                    images[(n * size + y) * size + x] = UInt8(max(0, min(255, base + 20 * rng.normal())))
                }
            }
        }
        return Dataset(images: images, count: count, channels: 1, height: size, width: size,
                       labels: labelled ? labels : nil, classNames: labelled ? (0..<classes).map { "class\($0)" } : [],
                       split: .train, source: "synthetic quadrants", flippable: false)
    }

    static func config(_ mode: TrainingMode, dataset: Dataset, iterations: Int, batch: Int = 16,
                       configure: (inout TrainingConfig) -> Void = { _ in }) -> TrainingConfig {
        var config = TrainingConfig(mode: mode, imageChannels: dataset.channels, imageSize: dataset.height,
                                    classCount: dataset.labels == nil ? 0 : dataset.classNames.count) {
            $0.preset = "xs"; $0.latentDim = 16; $0.batch = batch; $0.iterations = iterations
            $0.decoderLR = 3e-3; $0.warmup = 1; $0.emaDecay = 0.99; $0.seed = 3
        }
        configure(&config)
        return config.resolved()
    }
}

extension Array where Element == Double {
    var mean: Double { reduce(0, +) / Double(Swift.max(count, 1)) }
}

/// Runs a trainer to the end and returns every step's value of `term`.
func trainCollecting(_ trainer: Trainer, term: String, diagnostics: Bool = false) throws -> [Double] {
    var values: [Double] = []
    while !trainer.finished {
        let report = try trainer.step(diagnostics: diagnostics)
        if let value = report.terms[term] { values.append(value) }
    }
    return values
}
