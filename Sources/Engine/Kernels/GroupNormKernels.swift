/// The layout GroupNorm works on: `[batch, channels, plane]`, channels split into `groups` equal groups;
/// statistics are per (sample, group), the affine weight and bias per channel.
public struct GroupNormGeometry: Equatable, Sendable {
    public let batch: Int
    public let channels: Int
    public let plane: Int
    public let groups: Int

    public init(batch: Int, channels: Int, plane: Int, groups: Int) {
        self.batch = batch
        self.channels = channels
        self.plane = plane
        self.groups = groups
    }

    public var count: Int { batch * channels * plane }
    /// Number of (sample, group) statistics: the size of the mean and inverse-std buffers.
    public var statisticsCount: Int { batch * groups }
    var channelsPerGroup: Int { channels / groups }
    var groupSize: Int { channelsPerGroup * plane }
}

public enum GroupNormKernels {
    /// y = (x − mean)·rstd·weight[c] + bias[c], then SiLU(y) when `applySiLU` (the pre-activation network's
    /// GroupNorm → SiLU pair in one pass); also writes each (sample, group)'s mean and rstd = 1/√(var + eps)
    /// (biased variance, as PyTorch), which the backward needs.
    public static func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               output: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, geometry g: GroupNormGeometry, eps: Float,
                               applySiLU: Bool = false) {
        let size = g.groupSize, perGroup = g.channelsPerGroup, plane = g.plane
        KernelParallel.forEachChunk(g.statisticsCount, minimumPerChunk: max(1, (1 << 15) / size)) { items in
            for item in items {
                let x = input + item * size, y = output + item * size
                let mu = VectorMath.sum(x, count: size) / Float(size)
                let variance = VectorMath.sumOfSquaredDeviations(x, count: size, center: mu) / Float(size)
                let r = 1 / (variance + eps).squareRoot()
                mean[item] = mu
                rstd[item] = r
                let firstChannel = (item % g.groups) * perGroup
                for k in 0..<perGroup {
                    let scale = r * weight[firstChannel + k], shift = bias[firstChannel + k] - mu * scale
                    let xc = x + k * plane, yc = y + k * plane
                    if applySiLU {
                        forEachLane(plane) { i in
                            let z = Vector(repeating: shift).addingProduct(VectorMath.load(xc + i), Vector(repeating: scale))
                            VectorMath.store(z * fastSigmoid(z), yc + i)
                        } scalar: { i in
                            let z = xc[i] * scale + shift
                            yc[i] = z * fastSigmoid(z)
                        }
                    } else {
                        forEachLane(plane) { i in
                            VectorMath.store(Vector(repeating: shift).addingProduct(VectorMath.load(xc + i), Vector(repeating: scale)), yc + i)
                        } scalar: { i in
                            yc[i] = xc[i] * scale + shift
                        }
                    }
                }
            }
        }
    }

    /// Gradients from the forward's `mean` and `rstd` (and `bias`, to recompute the SiLU's input when
    /// `applySiLU`); each requested gradient is overwritten.
    public static func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                outputGrad: UnsafePointer<Float>, geometry g: GroupNormGeometry,
                                inputGrad: UnsafeMutablePointer<Float>?, weightGrad: UnsafeMutablePointer<Float>?,
                                biasGrad: UnsafeMutablePointer<Float>?, applySiLU: Bool = false) {
        let size = g.groupSize, perGroup = g.channelsPerGroup, plane = g.plane, channels = g.channels
        // Per (sample, channel): Σ dy and Σ dy·x, from which every other sum follows.
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: 2 * g.batch * channels)
        defer { sums.deallocate() }
        let gradSums = sums, gradDots = sums + g.batch * channels
        KernelParallel.forEachChunk(g.statisticsCount, minimumPerChunk: max(1, (1 << 15) / size)) { items in
            // With the SiLU, its gradient goes into the input gradient's buffer (updated in place below)
            // or, when no input gradient is wanted, into scratch.
            let scratch = applySiLU && inputGrad == nil ? ScratchPool.take(size) : nil
            defer { scratch.map(ScratchPool.give) }
            for item in items {
                let n = item / g.groups, firstChannel = (item % g.groups) * perGroup
                let x = input + item * size
                var sumDxhat: Float = 0, sumDxhatXhat: Float = 0
                let mu = mean[item], r = rstd[item]
                let dy: UnsafePointer<Float>
                let channelSums = gradSums + n * channels + firstChannel, channelDots = gradDots + n * channels + firstChannel
                if applySiLU, let target = inputGrad.map({ $0 + item * size }) ?? scratch?.pointer {
                    siluBackward(x: x, outputGrad: outputGrad + item * size, into: target, channels: firstChannel..<(firstChannel + perGroup),
                                 plane: plane, weight: weight, bias: bias, mean: mu, rstd: r, sums: channelSums, dots: channelDots)
                    dy = UnsafePointer(target)
                } else {
                    dy = outputGrad + item * size
                    for k in 0..<perGroup {
                        (channelSums[k], channelDots[k]) = VectorMath.sumAndDot(dy + k * plane, x + k * plane, count: plane)
                    }
                }
                for k in 0..<perGroup {
                    let (a, b) = (channelSums[k], channelDots[k])
                    let gamma = weight[firstChannel + k]
                    sumDxhat += gamma * a
                    sumDxhatXhat += gamma * r * (b - mu * a)
                }
                guard let inputGrad else { continue }
                // dx = r·(γ·dy − mean(dxhat) − xhat·mean(dxhat·xhat)) = A_c·dy + B·x + D
                let m1 = sumDxhat / Float(size), m2 = sumDxhatXhat / Float(size)
                let coefficientX = -r * r * m2, constant = -r * m1 + r * r * m2 * mu
                let dx = inputGrad + item * size
                for k in 0..<perGroup {
                    let coefficientDy = r * weight[firstChannel + k]
                    let xc = x + k * plane, dyc = dy + k * plane, dxc = dx + k * plane
                    forEachLane(plane) { i in
                        let partial = Vector(repeating: constant).addingProduct(VectorMath.load(xc + i), Vector(repeating: coefficientX))
                        VectorMath.store(partial.addingProduct(VectorMath.load(dyc + i), Vector(repeating: coefficientDy)), dxc + i)
                    } scalar: { i in
                        dxc[i] = coefficientDy * dyc[i] + coefficientX * xc[i] + constant
                    }
                }
            }
        }
        if let weightGrad {
            weightGrad.update(repeating: 0, count: channels)
            for n in 0..<g.batch {
                for c in 0..<channels {
                    let item = n * g.groups + c / perGroup
                    weightGrad[c] += rstd[item] * (gradDots[n * channels + c] - mean[item] * gradSums[n * channels + c])
                }
            }
        }
        if let biasGrad {
            biasGrad.update(repeating: 0, count: channels)
            for n in 0..<g.batch {
                for c in 0..<channels { biasGrad[c] += gradSums[n * channels + c] }
            }
        }
    }

    /// dz = dy·SiLU′(z) with z = x·rstd·γ + (β − mean·rstd·γ) recomputed per channel of one group; in the
    /// same pass sums[k] = Σ dz and dots[k] = Σ dz·x per channel.
    private static func siluBackward(x: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>, into dz: UnsafeMutablePointer<Float>,
                                     channels: Range<Int>, plane: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                     mean: Float, rstd: Float, sums: UnsafeMutablePointer<Float>, dots: UnsafeMutablePointer<Float>) {
        for (k, c) in channels.enumerated() {
            let scale = rstd * weight[c], shift = bias[c] - mean * scale
            let xc = x + k * plane, dyc = outputGrad + k * plane, dzc = dz + k * plane
            var sum = Vector(), dot = Vector()
            forEachLane(plane) { i in
                let xv = VectorMath.load(xc + i, as: Vector.self)
                let z = Vector(repeating: shift).addingProduct(xv, Vector(repeating: scale))
                let s = fastSigmoid(z)
                let g = VectorMath.load(dyc + i) * s * Vector(repeating: 1).addingProduct(z, 1 - s)
                VectorMath.store(g, dzc + i)
                sum += g
                dot += g * xv
            } scalar: { i in
                let z = xc[i] * scale + shift, s = fastSigmoid(z)
                dzc[i] = dyc[i] * s * (1 + z * (1 - s))
            }
            // The same sums, in the same order, as `VectorMath.sumAndDot` over dz and x.
            var (total, totalDot) = (sum.sum(), dot.sum())
            for i in plane / Vector.scalarCount * Vector.scalarCount..<plane {
                total += dzc[i]
                totalDot += dzc[i] * xc[i]
            }
            (sums[k], dots[k]) = (total, totalDot)
        }
    }

    private typealias Vector = VectorMath.Vector

    /// `vector(i)` for each full 16-lane block of 0..<count, then `scalar(i)` for the rest.
    @inline(__always)
    private static func forEachLane(_ count: Int, _ vector: (Int) -> Void, scalar: (Int) -> Void) {
        var i = 0
        while i + Vector.scalarCount <= count { vector(i); i += Vector.scalarCount }
        while i < count { scalar(i); i += 1 }
    }
}
