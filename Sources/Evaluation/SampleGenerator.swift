// Batched sampling from a decoder for lzn-generate: the three ways of choosing the conditioning
// (prior latents, label-flow latents, encoder latents of real images) around one sampler loop.
import Datasets
import Engine
import LZN
import NN
import Models

struct SampleGenerator {
    let decoder: UNet
    let models: TrainedModel
    let sampler: ImageSampler
    let batchSize: Int
    /// Batch b draws its noise, then its prior latents, from `Philox(seed: seed).split(b)`.
    let seed: UInt64
    let progress: (_ done: Int, _ total: Int) -> Void

    struct Output {
        /// Quantised images [count, C, H, W].
        var images: [UInt8]
        var count: Int
        var classes: [Int]?
        /// Reconstruct mode: the quantised inputs, for the grid.
        var originals: [UInt8]?
        var nfes: [Int]
        var reconstructionError: Double?

        var meanNFE: Double { Double(nfes.reduce(0, +)) / Double(max(nfes.count, 1)) }

        /// Conditional: one class per row; reconstruct: alternating input and output rows; else row-major.
        func grid(rows: Int, columns: Int, channels: Int, size: Int) throws -> GridImage {
            let imageBytes = channels * size * size
            func pick(_ source: [UInt8], _ indices: [Int]) -> [UInt8] {
                indices.flatMap { source[($0 * imageBytes)..<(($0 + 1) * imageBytes)] }
            }
            if let classes {
                let shown = Array(Set(classes)).sorted().prefix(rows)
                let perClass = shown.map { c in classes.indices.filter { classes[$0] == c }.prefix(columns) }
                let width = perClass.map(\.count).min() ?? 0
                let indices = perClass.flatMap { $0.prefix(width) }
                return try SampleGrid.make(images: pick(images, indices), count: indices.count, channels: channels, height: size, width: size,
                                           columns: width, rowLabels: shown.map(String.init))
            }
            if let originals {
                let pairs = max(1, rows / 2)
                let columnsUsed = min(columns, count)
                var picked: [UInt8] = [], labels: [String] = []
                for pair in 0..<pairs where (pair + 1) * columnsUsed <= count {
                    let indices = Array((pair * columnsUsed)..<((pair + 1) * columnsUsed))
                    picked += pick(originals, indices) + pick(images, indices)
                    labels += ["IN", "RE"]
                }
                return try SampleGrid.make(images: picked, count: labels.count * columnsUsed, channels: channels, height: size, width: size,
                                           columns: columnsUsed, rowLabels: labels)
            }
            let shown = min(count, rows * columns)
            return try SampleGrid.make(images: pick(images, Array(0..<shown)), count: shown, channels: channels,
                                       height: size, width: size, columns: min(columns, shown))
        }
    }

    private var imageSize: Int { decoder.imageChannels * decoder.imageSize * decoder.imageSize }

    /// Case 1: latents drawn from N(0, I_D) (none for the RF baseline).
    func unconditional(count: Int) throws -> Output {
        try generate(count: count) { range, rng in
            (decoder.latentDim > 0 ? Tensor.normal([range.count, decoder.latentDim], rng: &rng) : nil, nil)
        }
    }

    /// Case 3: latents from the forward Euler label flow of each sample's class (§3.2).
    func conditional(classes: [Int], labelSteps: Int) throws -> Output {
        let anchors = try models.require(models.labelAnchors, "label anchors", for: "conditional generation")
        let k = anchors.shape[0], d = anchors.shape[1]
        let anchorMatrix = FlowMatrix(rows: k, columns: d, values: anchors.values)
        var output = try generate(count: classes.count) { range, rng in
            let batchClasses = Array(classes[range])
            let prior = Tensor.normal([range.count, d], rng: &rng)
            let latents = try LatentEvaluation.classLatents(classes: batchClasses, labelAnchors: anchorMatrix,
                                                            prior: FlowMatrix(rows: range.count, columns: d, values: prior.values), steps: labelSteps)
            return (Tensor(shape: [range.count, d], values: latents.values), NetworkEvaluation.oneHot(batchClasses, classes: k))
        }
        output.classes = classes
        return output
    }

    /// §6.2: latents of the real images (anchor set = each batch), inverse sampler to noise,
    /// sampler back; error = mean ‖x̂ − x‖₂ in [−1, 1].
    func reconstruct(_ dataset: Dataset, latentSteps: Int) throws -> Output {
        var latents: FlowMatrix<Float>?
        if decoder.latentDim > 0 {
            let encoder = try models.require(models.encoder, "encoder", for: "reconstruction")
            let anchors = try NetworkEvaluation.map(dataset, batchSize: batchSize) { encoder($0) }
            latents = try LatentEvaluation.latents(
                anchors: FlowMatrix(rows: dataset.count, columns: anchors.width, values: anchors.values),
                settings: LatentFlowSettings(batchSize: batchSize, solver: .dpmSolver(order: 3), steps: latentSteps, seed: seed))
        }
        if models.config.conditional && dataset.labels == nil {
            throw EvaluationError.invalidInput(context: "reconstruction", detail: "a class-conditional decoder needs a labelled dataset")
        }
        var images = [UInt8](), nfes: [Int] = [], errorSum = 0.0
        let batches = LatentEvaluation.batches(dataset.count, batchSize)
        for range in batches {
            var x = [Float](repeating: 0, count: range.count * imageSize)
            x.withUnsafeMutableBufferPointer { dataset.fillBatch(Array(range), into: $0) }
            let batchLatents = latents.map { l in
                Tensor(shape: [range.count, l.columns], values: Array(l.values[(range.lowerBound * l.columns)..<(range.upperBound * l.columns)]))
            }
            let oneHot = models.config.conditional ? NetworkEvaluation.oneHot(Array(dataset.labels![range]), classes: models.config.classCount) : nil
            let velocity = NetworkEvaluation.velocity(decoder: decoder, batch: range.count, latents: batchLatents, labelsOneHot: oneHot)
            let result = try Reconstruction.run(images: x, count: range.count, sampler: sampler, velocity: velocity)
            images += quantizeImages(result.reconstructions)
            nfes.append(result.nfe)
            errorSum += result.error * Double(range.count)
            progress(range.upperBound, dataset.count)
        }
        return Output(images: images, count: dataset.count, classes: nil, originals: dataset.images, nfes: nfes,
                      reconstructionError: errorSum / Double(dataset.count))
    }

    /// The sampler loop: per batch, noise then conditioning from the batch's generator.
    private func generate(count: Int, conditioning: (Range<Int>, inout Philox) throws -> (Tensor?, Tensor?)) throws -> Output {
        var images = [UInt8](), nfes: [Int] = []
        images.reserveCapacity(count * imageSize)
        for (index, range) in LatentEvaluation.batches(count, batchSize).enumerated() {
            var rng = Philox(seed: seed).split(UInt64(index))
            var noise = [Float](repeating: 0, count: range.count * imageSize)
            noise.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
            let (latents, oneHot) = try conditioning(range, &rng)
            let velocity = NetworkEvaluation.velocity(decoder: decoder, batch: range.count, latents: latents, labelsOneHot: oneHot)
            let result = try sampler.sample(noise: noise, velocity: velocity)
            images += quantizeImages(result.x)
            nfes.append(result.nfe)
            progress(range.upperBound, count)
        }
        return Output(images: images, count: count, classes: nil, originals: nil, nfes: nfes, reconstructionError: nil)
    }
}
