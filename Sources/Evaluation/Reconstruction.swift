// Reconstructions with computed initial noise (LZN-ALGORITHM.md §6.2): invert the real images to
// noise with the sampler's inverse, sample back with the same conditioning, measure the error.

public struct ReconstructionResult: Sendable {
    public var reconstructions: [Float]
    /// mean over images of ‖x̂₁ − x₁‖₂ (Euclidean norm over C×H×W, [−1, 1] scale, un-quantised).
    public var error: Double
    /// Function evaluations of the inverse plus the forward pass.
    public var nfe: Int
}

public enum Reconstruction {
    /// Reconstructs a batch of `count` images (flattened) through `sampler` and `velocity`
    /// (the decoder conditioned on the batch's latents and, in case 3, its true labels).
    public static func run(images: [Float], count: Int, sampler: ImageSampler, velocity: ImageVelocity) throws -> ReconstructionResult {
        let noise = try sampler.invert(image: images, velocity: velocity)
        let back = try sampler.sample(noise: noise.x, velocity: velocity)
        return ReconstructionResult(reconstructions: back.x,
                                    error: try meanL2Distance(back.x, images, count: count),
                                    nfe: noise.nfe + back.nfe)
    }

    /// mean over `count` equally sized rows of the Euclidean distance between `a` and `b`.
    public static func meanL2Distance(_ a: [Float], _ b: [Float], count: Int) throws -> Double {
        guard count >= 1, a.count == b.count, a.count % count == 0 else {
            throw EvaluationError.invalidInput(context: "reconstruction", detail: "cannot split \(a.count) and \(b.count) values into \(count) images")
        }
        let size = a.count / count
        var total = 0.0
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                for image in 0..<count {
                    var squared = 0.0
                    for i in (image * size)..<((image + 1) * size) {
                        let d = Double(x[i]) - Double(y[i])
                        squared += d * d
                    }
                    total += squared.squareRoot()
                }
            }
        }
        return total / Double(count)
    }
}
