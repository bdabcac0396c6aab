/// Stride-1 convolutions computed straight from zero-padded images, with no column matrix and no GEMM
/// packing: on the small images of the networks (7×7 to 28×28, 16-128 channels) copying a column matrix
/// and OpenBLAS's packing of it cost as much as the multiplications.
///
/// The images of a group are stacked, each channel one long row of `paddedWidth`-wide rows: `padding`
/// zero rows, image 0, zero rows shared with image 1, image 1, ... Every output pixel is computed at its
/// "wide" position t = (k·rowsPerImage + oh)·paddedWidth + ow (junk positions in between are computed and
/// dropped), where kernel tap (i, j) reads `stacked[c, t + i·paddedWidth + j]`: for a fixed tap, a run of
/// consecutive outputs reads a run of consecutive inputs, so the inner loops are 16-wide vector FMAs on
/// unaligned loads. The input gradient is the same convolution of the output gradient with the flipped,
/// transposed kernel; the weight gradient is a dot product over the wide positions per (output channel, tap).
struct Conv2DDirect {
    typealias Vector = SIMD16<Float>
    /// Output channels per register tile.
    static let tileRows = 8
    /// Wide positions per register tile: three vectors, 24 accumulators in all.
    static let tileWidth = 3 * Vector.scalarCount
    /// Floats of stacked input per group: about an L2's worth.
    static let groupBudget = 1 << 18

    let g: Conv2DGeometry
    let paddedWidth: Int
    let rowsPerImage: Int
    let imagesPerGroup: Int

    /// Whether the input gradient is a direct convolution too: `transposed` needs a square kernel and
    /// padding ≤ kernel − 1.
    var hasDirectInputGradient: Bool { g.kernelHeight == g.kernelWidth && g.padding <= g.kernelHeight - 1 }

    init(_ g: Conv2DGeometry) {
        precondition(g.stride == 1, "Conv2DDirect: stride \(g.stride)")
        self.g = g
        // Wide enough for an output row, and the zeros after an image row reach `padding` into the next.
        paddedWidth = max(g.width + g.padding, g.outWidth)
        rowsPerImage = max(g.height + g.padding, g.outHeight)
        imagesPerGroup = max(1, min(g.batch, Self.groupBudget / max(1, g.inChannels * rowsPerImage * paddedWidth)))
    }

    /// The gradient with respect to the input as a convolution of the output gradient: padding k − 1 − p,
    /// input and output channels swapped (the weights flipped, see `flippedTransposedWeights`).
    var transposed: Conv2DGeometry {
        Conv2DGeometry(batch: g.batch, inChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
                       outChannels: g.inChannels, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth,
                       stride: 1, padding: g.kernelHeight - 1 - g.padding)
    }

    // MARK: Layout of one group

    private var tileBlocks: Int { (g.outChannels + Self.tileRows - 1) / Self.tileRows }
    private var taps: Int { g.kernelHeight * g.kernelWidth }

    /// Wide positions of `count` images, rounded up to whole tiles.
    private func wideCount(_ count: Int) -> Int {
        (count * rowsPerImage * paddedWidth + Self.tileWidth - 1) / Self.tileWidth * Self.tileWidth
    }

    /// Floats per stacked channel: the wide positions plus the reach of the last tap, rounded up to whole
    /// cache lines so that every channel starts on one.
    private func stackedCount(_ count: Int) -> Int {
        let reach = wideCount(count) + (g.kernelHeight - 1) * paddedWidth + g.kernelWidth - 1 + Vector.scalarCount
        return (reach + Vector.scalarCount - 1) / Vector.scalarCount * Vector.scalarCount
    }

    /// Zero-pads and stacks `count` images starting at `first` (channel c at `stacked + c·length`).
    private func stack(_ images: UnsafePointer<Float>, first: Int, count: Int, into stacked: UnsafeMutablePointer<Float>) {
        let length = stackedCount(count), (H, W, p) = (g.height, g.width, g.padding)
        stacked.update(repeating: 0, count: g.inChannels * length)
        for k in 0..<count {
            let image = images + (first + k) * g.inChannels * g.inputPlane
            for c in 0..<g.inChannels {
                let rows = stacked + c * length + (p + k * rowsPerImage) * paddedWidth + p
                for h in 0..<H { copyRow(from: image + (c * H + h) * W, to: rows + h * paddedWidth, count: W) }
            }
        }
    }

    /// `count` images of `planes` channels of outHeight × outWidth, from or to their wide positions.
    private func forEachOutputRow(count: Int, planes: Int, wideLength: Int,
                                  _ body: (_ image: Int, _ plane: Int, _ row: Int, _ widePosition: Int) -> Void) {
        for k in 0..<count {
            for plane in 0..<planes {
                for oh in 0..<g.outHeight { body(k, plane, oh, plane * wideLength + (k * rowsPerImage + oh) * paddedWidth) }
            }
        }
    }

    // MARK: Passes

    /// output = conv(input, weight) + bias.
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 output: UnsafeMutablePointer<Float>) {
        let (outC, plane, outW) = (g.outChannels, g.outputPlane, g.outWidth)
        withPackedWeights(weight) { packed in
            forEachGroup(stackedFloats: g.inChannels * stackedCount(imagesPerGroup),
                         wideFloats: tileBlocks * Self.tileRows * wideCount(imagesPerGroup)) { stacked, wide, first, count, _ in
                stack(input, first: first, count: count, into: stacked)
                let length = wideCount(count)
                multiply(stacked: stacked, stackedLength: stackedCount(count), packed: packed, bias: bias,
                         wide: wide, wideLength: length)
                forEachOutputRow(count: count, planes: outC, wideLength: length) { k, o, oh, position in
                    copyRow(from: wide + position, to: output + ((first + k) * outC + o) * plane + oh * outW, count: outW)
                }
            }
        }
    }

    /// inputGrad = conv(outputGrad, flipped transposed weight), overwritten.
    func inputGradient(outputGrad: UnsafePointer<Float>, weight: UnsafePointer<Float>, inputGrad: UnsafeMutablePointer<Float>) {
        ScratchPool.withBuffer(g.weightCount) { flipped in
            flippedTransposedWeights(weight, into: flipped)
            Conv2DDirect(transposed).forward(input: outputGrad, weight: flipped, bias: nil, output: inputGrad)
        }
    }

    /// Adds each worker's share of the weight gradient to `weightPartials + worker·weightCount`.
    func accumulateWeightGradient(input: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                                  weightPartials: UnsafeMutablePointer<Float>) {
        let (outC, plane, outW) = (g.outChannels, g.outputPlane, g.outWidth)
        forEachGroup(stackedFloats: g.inChannels * stackedCount(imagesPerGroup),
                     wideFloats: tileBlocks * Self.tileRows * wideCount(imagesPerGroup)) { stacked, wide, first, count, worker in
            stack(input, first: first, count: count, into: stacked)
            let length = wideCount(count)
            // The output gradient at the wide positions, zero at the junk ones and in the padding rows of the last tile.
            wide.update(repeating: 0, count: tileBlocks * Self.tileRows * length)
            forEachOutputRow(count: count, planes: outC, wideLength: length) { k, o, oh, position in
                copyRow(from: outputGrad + ((first + k) * outC + o) * plane + oh * outW, to: wide + position, count: outW)
            }
            correlate(wideGrad: wide, wideLength: length, stacked: stacked, stackedLength: stackedCount(count),
                      into: weightPartials + worker * g.weightCount)
        }
    }

    // MARK: Workers and weights

    private func forEachGroup(stackedFloats: Int, wideFloats: Int,
                              _ body: (_ stacked: UnsafeMutablePointer<Float>, _ wide: UnsafeMutablePointer<Float>,
                                       _ first: Int, _ count: Int, _ worker: Int) -> Void) {
        KernelParallel.forEachChunk(g.batch) { worker, images in
            ScratchPool.withBuffer(stackedFloats) { stacked in
                ScratchPool.withBuffer(wideFloats) { wide in
                    var first = images.lowerBound
                    while first < images.upperBound {
                        let count = min(imagesPerGroup, images.upperBound - first)
                        body(stacked, wide, first, count, worker)
                        first += count
                    }
                }
            }
        }
    }

    /// The weight as the tiles read it: `packed[block][c][i][j][row]` = weight[block·8 + row, c, i, j],
    /// zero for rows past the last output channel.
    private func withPackedWeights<R>(_ weight: UnsafePointer<Float>, _ body: (UnsafePointer<Float>) -> R) -> R {
        let rows = Self.tileRows, patch = g.patchSize
        return ScratchPool.withBuffer(tileBlocks * rows * patch) { packed in
            for block in 0..<tileBlocks {
                for k in 0..<patch {
                    for row in 0..<rows {
                        let o = block * rows + row
                        packed[(block * patch + k) * rows + row] = o < g.outChannels ? weight[o * patch + k] : 0
                    }
                }
            }
            return body(packed)
        }
    }

    /// flipped[c, o, i, j] = weight[o, c, kh − 1 − i, kw − 1 − j].
    private func flippedTransposedWeights(_ weight: UnsafePointer<Float>, into flipped: UnsafeMutablePointer<Float>) {
        let (kh, kw, C, O) = (g.kernelHeight, g.kernelWidth, g.inChannels, g.outChannels)
        for o in 0..<O {
            for c in 0..<C {
                for i in 0..<kh {
                    for j in 0..<kw {
                        flipped[((c * O + o) * kh + i) * kw + j] = weight[((o * C + c) * kh + kh - 1 - i) * kw + kw - 1 - j]
                    }
                }
            }
        }
    }

    // MARK: Register tiles

    /// wide[o, t] = bias[o] + Σ_{c,i,j} weight[o, c, i, j]·stacked[c, t + i·paddedWidth + j] for every t < wideLength,
    /// in tiles of 8 output channels × 48 positions held in registers across the whole sum.
    private func multiply(stacked: UnsafePointer<Float>, stackedLength: Int, packed: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?, wide: UnsafeMutablePointer<Float>, wideLength: Int) {
        let (C, kh, kw, Wp, rows) = (g.inChannels, g.kernelHeight, g.kernelWidth, paddedWidth, Self.tileRows)
        for block in 0..<tileBlocks {
            var start = [Float](repeating: 0, count: rows)
            for row in 0..<rows where bias != nil && block * rows + row < g.outChannels { start[row] = bias![block * rows + row] }
            let weights = packed + block * g.patchSize * rows
            var t0 = 0
            while t0 < wideLength {
                var r0 = Tile(start[0]), r1 = Tile(start[1]), r2 = Tile(start[2]), r3 = Tile(start[3])
                var r4 = Tile(start[4]), r5 = Tile(start[5]), r6 = Tile(start[6]), r7 = Tile(start[7])
                var w = weights
                for c in 0..<C {
                    for i in 0..<kh {
                        let source = stacked + c * stackedLength + i * Wp + t0
                        for j in 0..<kw {
                            let x0 = load(source + j), x1 = load(source + j + 16), x2 = load(source + j + 32)
                            r0.add(w[0], x0, x1, x2); r1.add(w[1], x0, x1, x2); r2.add(w[2], x0, x1, x2); r3.add(w[3], x0, x1, x2)
                            r4.add(w[4], x0, x1, x2); r5.add(w[5], x0, x1, x2); r6.add(w[6], x0, x1, x2); r7.add(w[7], x0, x1, x2)
                            w += rows
                        }
                    }
                }
                let out = wide + block * rows * wideLength + t0
                r0.store(out); r1.store(out + wideLength); r2.store(out + 2 * wideLength); r3.store(out + 3 * wideLength)
                r4.store(out + 4 * wideLength); r5.store(out + 5 * wideLength); r6.store(out + 6 * wideLength)
                r7.store(out + 7 * wideLength)
                t0 += Self.tileWidth
            }
        }
    }

    /// weightGrad[o, c, i, j] += Σ_t wideGrad[o, t]·stacked[c, t + i·paddedWidth + j], for 8 output channels
    /// × 3 taps at a time (24 vector accumulators). The positions are taken in chunks whose output gradient
    /// stays in L1 while every (channel, taps) pair sweeps it; the accumulators carry over between chunks
    /// in `partials` and are summed across lanes once at the end.
    private func correlate(wideGrad: UnsafePointer<Float>, wideLength: Int, stacked: UnsafePointer<Float>,
                           stackedLength: Int, into weightGrad: UnsafeMutablePointer<Float>) {
        let (C, kw, Wp, rows, taps) = (g.inChannels, g.kernelWidth, paddedWidth, Self.tileRows, self.taps)
        let width = Vector.scalarCount, tapGroups = (taps + 2) / 3, chunkLength = 512
        let tileFloats = rows * 3 * width
        ScratchPool.withBuffer(C * tapGroups * tileFloats) { partials in
            for block in 0..<tileBlocks {
                let grads = wideGrad + block * rows * wideLength
                partials.update(repeating: 0, count: C * tapGroups * tileFloats)
                for chunk in stride(from: 0, to: wideLength, by: chunkLength) {
                    let end = min(chunk + chunkLength, wideLength)
                    for c in 0..<C {
                        for tapGroup in 0..<tapGroups {
                            // The last group of a kernel whose tap count is not a multiple of 3 repeats its last tap.
                            func source(_ slot: Int) -> UnsafePointer<Float> {
                                let tap = min(3 * tapGroup + slot, taps - 1)
                                return stacked + c * stackedLength + (tap / kw) * Wp + tap % kw
                            }
                            let (s0, s1, s2) = (source(0), source(1), source(2))
                            let saved = partials + (c * tapGroups + tapGroup) * tileFloats
                            var a0 = Tile(saved), a1 = Tile(saved + 48), a2 = Tile(saved + 96), a3 = Tile(saved + 144)
                            var a4 = Tile(saved + 192), a5 = Tile(saved + 240), a6 = Tile(saved + 288), a7 = Tile(saved + 336)
                            var t = chunk
                            while t < end {
                                let x0 = load(s0 + t), x1 = load(s1 + t), x2 = load(s2 + t)
                                let d = grads + t
                                a0.add(load(d), x0, x1, x2); a1.add(load(d + wideLength), x0, x1, x2)
                                a2.add(load(d + 2 * wideLength), x0, x1, x2); a3.add(load(d + 3 * wideLength), x0, x1, x2)
                                a4.add(load(d + 4 * wideLength), x0, x1, x2); a5.add(load(d + 5 * wideLength), x0, x1, x2)
                                a6.add(load(d + 6 * wideLength), x0, x1, x2); a7.add(load(d + 7 * wideLength), x0, x1, x2)
                                t += width
                            }
                            a0.store(saved); a1.store(saved + 48); a2.store(saved + 96); a3.store(saved + 144)
                            a4.store(saved + 192); a5.store(saved + 240); a6.store(saved + 288); a7.store(saved + 336)
                        }
                    }
                }
                for c in 0..<C {
                    for tapGroup in 0..<tapGroups {
                        for row in 0..<rows where block * rows + row < g.outChannels {
                            let tile = Tile(partials + (c * tapGroups + tapGroup) * tileFloats + row * 3 * width)
                            let target = weightGrad + ((block * rows + row) * C + c) * taps + 3 * tapGroup
                            target[0] += tile.a.sum()
                            if 3 * tapGroup + 1 < taps { target[1] += tile.b.sum() }
                            if 3 * tapGroup + 2 < taps { target[2] += tile.c.sum() }
                        }
                    }
                }
            }
        }
    }

    /// Three vectors of accumulators: one output channel × 48 positions, or one output channel × 3 taps.
    private struct Tile {
        var a: Vector, b: Vector, c: Vector

        @inline(__always) init(_ value: Float) {
            a = Vector(repeating: value)
            b = a
            c = a
        }

        @inline(__always) init(_ p: UnsafePointer<Float>) {
            a = VectorMath.load(p)
            b = VectorMath.load(p + 16)
            c = VectorMath.load(p + 32)
        }

        /// self += scale·(x0, x1, x2), with one scalar for all three vectors.
        @inline(__always) mutating func add(_ scale: Float, _ x0: Vector, _ x1: Vector, _ x2: Vector) {
            add(Vector(repeating: scale), x0, x1, x2)
        }

        @inline(__always) mutating func add(_ scale: Vector, _ x0: Vector, _ x1: Vector, _ x2: Vector) {
            a = a.addingProduct(scale, x0)
            b = b.addingProduct(scale, x1)
            c = c.addingProduct(scale, x2)
        }

        @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
            VectorMath.store(a, p)
            VectorMath.store(b, p + 16)
            VectorMath.store(c, p + 32)
        }
    }

    @inline(__always) private func load(_ p: UnsafePointer<Float>) -> Vector { VectorMath.load(p) }
}

/// Copies a short row (an image row of 7-28 floats) without a call into memmove.
@inline(__always)
func copyRow(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        UnsafeMutableRawPointer(target + i).storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self),
                                                      as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { target[i] = source[i]; i += 1 }
}
