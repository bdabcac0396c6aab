import Engine
import Foundation

/// The two-view augmentation of LZN-ALGORITHM.md §7.2 (SimCLR-style, used by the contrastive and
/// SimCLR trainers), with sizes scaled from 224-pixel ImageNet crops to the dataset's images.
/// Each view, in order: random resized crop (area scale, log-uniform aspect ratio; area resampling
/// when shrinking, bilinear when enlarging), horizontal flip (only for flippable datasets), colour
/// jitter with probability `jitterProbability` (brightness, contrast, saturation, hue in a random
/// order; on one-channel images only brightness and contrast change, as in torchvision), random
/// grayscale (RGB only), Gaussian blur (always), then `2x − 1`.
public struct TwoViewAugmentation: Equatable, Codable, Sendable {
    /// Side of the square views.
    public var outputSize: Int
    public var cropScaleMin: Float = 0.08
    public var cropScaleMax: Float = 1
    public var cropRatioMin: Float = 3.0 / 4
    public var cropRatioMax: Float = 4.0 / 3
    public var flipProbability: Float = 0.5
    public var jitterProbability: Float = 0.8
    public var brightness: Float = 0.8
    public var contrast: Float = 0.8
    public var saturation: Float = 0.8
    public var hue: Float = 0.2
    public var grayscaleProbability: Float = 0.2
    /// Odd kernel width of the blur.
    public var blurKernel: Int
    public var blurSigmaMin: Float
    public var blurSigmaMax: Float

    /// §7.2's settings for `size`-pixel images: the 23-pixel blur kernel and its σ ∈ [0.1, 2] scale
    /// by size/224 (kernel rounded to an odd width of at least 3).
    public init(outputSize size: Int) {
        precondition(size > 0, "TwoViewAugmentation: size must be positive")
        let scale = Float(size) / 224
        outputSize = size
        blurKernel = max(3, Int((23 * scale / 2).rounded(.down)) * 2 + 1)
        blurSigmaMin = 0.1 * scale
        blurSigmaMax = 2 * scale
    }

    /// Writes the two views of each image `indices[k]` into `view0` and `view1` (each
    /// `indices.count × C × S × S` floats in [-1, 1]). Each view of each sample gets its own
    /// generator derived from two words drawn from `rng`, so the result is a function of the
    /// seed alone, whatever the thread count, and the two views of a sample are independent.
    public func fillTwoViews(of dataset: Dataset, _ indices: [Int], rng: inout Philox,
                             view0: UnsafeMutableBufferPointer<Float>, view1: UnsafeMutableBufferPointer<Float>) {
        fillTwoViews(of: dataset, indices, rows: indices.indices, rng: &rng, view0: view0, view1: view1)
    }

    /// Only samples `rows` of `indices` (one data-parallel rank's part of the batch), each exactly
    /// as the whole batch would augment it; the buffers hold `rows.count` views each.
    public func fillTwoViews(of dataset: Dataset, _ indices: [Int], rows: Range<Int>, rng: inout Philox,
                             view0: UnsafeMutableBufferPointer<Float>, view1: UnsafeMutableBufferPointer<Float>) {
        let viewSize = dataset.channels * outputSize * outputSize
        precondition(rows.lowerBound >= 0 && rows.upperBound <= indices.count, "fillTwoViews: rows \(rows) of \(indices.count)")
        precondition(view0.count == rows.count * viewSize && view1.count == rows.count * viewSize,
                     "fillTwoViews: each view buffer needs \(rows.count * viewSize) floats")
        let key = UInt64(rng.nextUInt32()) << 32 | UInt64(rng.nextUInt32())
        let outputs = [view0.baseAddress!, view1.baseAddress!]
        dataset.images.withUnsafeBufferPointer { src in
            let s = src.baseAddress!
            Parallel.ranges(rows.count * 2, grain: 16) { range in
                let work = AugmentationWorkspace()
                for localJob in range {
                    // The job number (the view's generator) counts from the whole batch's first sample.
                    let job = localJob + 2 * rows.lowerBound
                    let (k, v) = (job / 2, job % 2)
                    let index = indices[k]
                    precondition(index >= 0 && index < dataset.count, "fillTwoViews: index \(index) outside 0..<\(dataset.count)")
                    var viewRNG = Philox(seed: key, stream: UInt64(job))
                    augment(s + index * dataset.imageByteCount, channels: dataset.channels, height: dataset.height,
                            width: dataset.width, flippable: dataset.flippable, rng: &viewRNG, workspace: work,
                            into: outputs[v] + (k - rows.lowerBound) * viewSize)
                }
            }
        }
    }

    /// One augmented view of one image (channels-first bytes) as `channels × S × S` floats in [-1, 1].
    public func augment(_ image: UnsafePointer<UInt8>, channels: Int, height: Int, width: Int, flippable: Bool,
                        rng: inout Philox, into output: UnsafeMutablePointer<Float>) {
        let work = AugmentationWorkspace()
        augment(image, channels: channels, height: height, width: width, flippable: flippable, rng: &rng,
                workspace: work, into: output)
    }

    func augment(_ image: UnsafePointer<UInt8>, channels: Int, height: Int, width: Int, flippable: Bool,
                 rng: inout Philox, workspace work: AugmentationWorkspace, into output: UnsafeMutablePointer<Float>) {
        let s = outputSize, plane = s * s
        work.reserve(input: channels * height * width, output: channels * plane)
        for i in 0..<(channels * height * width) { work.input[i] = Float(image[i]) / 255 }

        let box = cropBox(height: height, width: width, rng: &rng)
        let rows = Resampling(inputSize: height, start: Double(box.top), length: Double(box.height), outputSize: s)
        let cols = Resampling(inputSize: width, start: Double(box.left), length: Double(box.width), outputSize: s)
        resample(work.input, channels: channels, height: height, width: width, rows: rows, cols: cols, into: work.view)

        let view = UnsafeMutableBufferPointer(start: work.view, count: channels * plane)
        let flip = rng.uniform() < flipProbability
        if flippable && flip { flipHorizontally(view, channels: channels, size: s) }
        if rng.uniform() < jitterProbability { colourJitter(view, channels: channels, rng: &rng) }
        let gray = rng.uniform() < grayscaleProbability
        if gray && channels == 3 { ColourOps.grayscale(view) }
        let sigma = blurSigmaMin + (blurSigmaMax - blurSigmaMin) * rng.uniform()
        ColourOps.gaussianBlur(view, channels: channels, size: s, kernel: blurKernel, sigma: sigma, scratch: work.scratch)
        for i in 0..<(channels * plane) { output[i] = min(max(view[i], 0), 1) * 2 - 1 }
    }

    /// torchvision's RandomResizedCrop.get_params: ten tries at a box of the drawn area and aspect
    /// ratio that fits, else the centre crop closest to the allowed ratios.
    func cropBox(height: Int, width: Int, rng: inout Philox) -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Float(height * width)
        let logRatioMin = log(cropRatioMin), logRatioMax = log(cropRatioMax)
        for _ in 0..<10 {
            let target = area * (cropScaleMin + (cropScaleMax - cropScaleMin) * rng.uniform())
            let ratio = exp(logRatioMin + (logRatioMax - logRatioMin) * rng.uniform())
            let w = Int((target * ratio).squareRoot().rounded(.toNearestOrEven))
            let h = Int((target / ratio).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= width && h > 0 && h <= height {
                let top = rng.uniformInt(height - h + 1), left = rng.uniformInt(width - w + 1)
                return (top, left, h, w)
            }
        }
        let inRatio = Float(width) / Float(height)
        var w = width, h = height
        if inRatio < cropRatioMin {
            h = Int((Float(w) / cropRatioMin).rounded(.toNearestOrEven))
        } else if inRatio > cropRatioMax {
            w = Int((Float(h) * cropRatioMax).rounded(.toNearestOrEven))
        }
        return ((height - h) / 2, (width - w) / 2, h, w)
    }

    private func flipHorizontally(_ view: UnsafeMutableBufferPointer<Float>, channels: Int, size: Int) {
        for row in 0..<(channels * size) {
            var (a, b) = (row * size, row * size + size - 1)
            while a < b { view.swapAt(a, b); a += 1; b -= 1 }
        }
    }

    /// torchvision's ColorJitter: the order of the four operations is drawn first, then the factors.
    private func colourJitter(_ view: UnsafeMutableBufferPointer<Float>, channels: Int, rng: inout Philox) {
        let order = rng.permutation(4)
        func factor(_ strength: Float) -> Float {
            let low = max(0, 1 - strength), high = 1 + strength
            return low + (high - low) * rng.uniform()
        }
        let b = factor(brightness), c = factor(contrast), s = factor(saturation)
        let h = -hue + 2 * hue * rng.uniform()
        for op in order {
            switch op {
            case 0: ColourOps.brightness(view, factor: b)
            case 1: ColourOps.contrast(view, channels: channels, factor: c)
            case 2: if channels == 3 { ColourOps.saturation(view, factor: s) }
            default: if channels == 3 { ColourOps.hue(view, shift: h) }
            }
        }
    }
}

/// Buffers one worker reuses across the views it produces.
final class AugmentationWorkspace {
    private(set) var input = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var view = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var scratch = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var inputCapacity = 1, outputCapacity = 1

    func reserve(input count: Int, output outCount: Int) {
        if count > inputCapacity {
            input.deallocate()
            input = .allocate(capacity: count)
            inputCapacity = count
        }
        if outCount > outputCapacity {
            view.deallocate()
            scratch.deallocate()
            view = .allocate(capacity: outCount)
            scratch = .allocate(capacity: outCount)
            outputCapacity = outCount
        }
    }

    deinit {
        input.deallocate()
        view.deallocate()
        scratch.deallocate()
    }
}
