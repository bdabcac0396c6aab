/// Convolutions computed straight from zero-padded images, with no column matrix and no GEMM packing: on
/// the small images of the networks (7×7 to 28×28, 16-128 channels) copying a column matrix and
/// OpenBLAS's packing of it cost as much as the multiplications.
///
/// The images of a group are stacked side by side into one band, each channel a run of rows of
/// `rowLength = count·imageWidth` floats: `padding` zero rows, then row h of image 0, zeros, row h of image
/// 1, zeros, ... (the zeros after an image row are the padding on both sides of its neighbours), then zero
/// rows. Every output pixel is computed at its "wide" position t = oh·rowLength + k·imageWidth + ow (the
/// few junk positions in between are computed and dropped), where kernel tap (i, j) reads
/// `stacked[c, t + i·rowLength + j]`: for a fixed tap, a run of consecutive outputs reads a run of
/// consecutive inputs, so the inner loops are 16-wide vector FMAs on unaligned loads. The input gradient
/// is the same convolution of the output gradient with the flipped, transposed kernel; the weight
/// gradient is a dot product over the wide positions per (output channel, tap).
///
/// With stride s > 1 each stacked channel is s×s phase bands: phase (py, px) holds the rows and columns
/// of the stride-1 band that are ≡ (py, px) mod s, so tap (i, j) reads phase (i mod s, j mod s) at
/// `t + (i / s)·rowLength + j / s`, again a run of consecutive inputs for a run of outputs. Strided input
/// gradients are not direct (they go through im2col).
struct Conv2DDirect {
    // A register tile is `tileRows` output channels × three vectors of wide positions, held in registers
    // across the whole sum: with AVX-512's 32 vector registers 8 × 3 × 16 floats (24 accumulators), with
    // AVX2's 16 (and elsewhere) 4 × 3 × 8 (12 accumulators, 3 loads and a broadcast). AVX-512's tile on
    // AVX2 spilled its accumulators to the stack: the decoder forward took 1.8× as long (`LZN_AVX512` is
    // set by Package.swift).
    #if LZN_AVX512
    typealias Vector = SIMD16<Float>
    static let tileRows = 8
    #else
    typealias Vector = SIMD8<Float>
    static let tileRows = 4
    #endif
    /// Wide positions per register tile.
    static let tileWidth = 3 * Vector.scalarCount
    /// Floats of stacked input per group: about an L2's worth.
    static let groupBudget = 1 << 18
    /// Groups per worker at least (when the batch allows), so that a faster core can take more of them.
    static let groupsPerWorker = 3

    let g: Conv2DGeometry
    /// Floats per image in a band row: wide enough for an output row, and the zeros after an image row
    /// reach `padding` into the next image's row.
    let imageWidth: Int
    let imagesPerGroup: Int
    /// Floats per stacked channel: s×s phases, each with room for the widest band (a full group), its wide
    /// positions and the reach of the last tap, in whole cache lines so that every channel starts on one.
    let stackedLength: Int

    /// Whether `g` can run here: every phase of a strided convolution must be read by some tap.
    static func handles(_ g: Conv2DGeometry) -> Bool { g.stride <= min(g.kernelHeight, g.kernelWidth) }

    /// Whether the input gradient is a direct convolution too: `transposed` needs stride 1, a square kernel
    /// and padding ≤ kernel − 1.
    var hasDirectInputGradient: Bool { g.stride == 1 && g.kernelHeight == g.kernelWidth && g.padding <= g.kernelHeight - 1 }

    init(_ g: Conv2DGeometry, imagesPerGroup: Int? = nil, stackedLength: Int? = nil) {
        precondition(Self.handles(g), "Conv2DDirect: stride \(g.stride) with a \(g.kernelHeight)x\(g.kernelWidth) kernel")
        self.g = g
        let s = g.stride
        imageWidth = max((g.width + g.padding + s - 1) / s, g.outWidth)
        let balanced = (g.batch + Self.groupsPerWorker * Parallel.threads - 1) / (Self.groupsPerWorker * Parallel.threads)
        let floatsPerImage = g.inChannels * s * (g.height + 2 * g.padding + g.kernelHeight) * imageWidth
        let group = imagesPerGroup ?? max(1, min(balanced, Self.groupBudget / max(1, floatsPerImage)))
        self.imagesPerGroup = group
        let widest = group * imageWidth
        let reach = roundedUp(g.outHeight * widest, to: Self.tileWidth) + (g.kernelHeight - 1) / s * widest
            + (g.kernelWidth - 1) / s + Vector.scalarCount
        // Every image row must have a place in its phase, even rows no tap reads.
        let imageRows = ((g.padding + g.height - 1) / s + 1) * widest
        self.stackedLength = stackedLength ?? s * s * roundedUp(max(reach, imageRows), to: Vector.scalarCount)
    }

    private var groupCount: Int { (g.batch + imagesPerGroup - 1) / imagesPerGroup }

    /// The gradient with respect to the input as a convolution of the output gradient: padding k − 1 − p,
    /// input and output channels swapped (the weights flipped, see `flippedTransposedWeights`). Its bands
    /// have the same image width and length, so the stacked output gradient is also the output gradient at
    /// the forward's wide positions, offset by the transposed padding.
    var transposed: Conv2DGeometry {
        Conv2DGeometry(batch: g.batch, inChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
                       outChannels: g.inChannels, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth,
                       stride: 1, padding: g.kernelHeight - 1 - g.padding)
    }

    // MARK: Layout of a group

    private var tileBlocks: Int { (g.outChannels + Self.tileRows - 1) / Self.tileRows }
    private var taps: Int { g.kernelHeight * g.kernelWidth }
    /// Floats per phase of a stacked channel.
    private var phaseLength: Int { stackedLength / (g.stride * g.stride) }

    /// Where tap `tap` (row-major over the kernel) reads in a stacked channel of a band of `count` images,
    /// relative to the wide position.
    private func tapOffsets(count: Int) -> [Int] {
        let (s, kw, rowFloats) = (g.stride, g.kernelWidth, rowLength(count))
        return (0..<taps).map { tap in
            let (i, j) = tap.quotientAndRemainder(dividingBy: kw)
            return ((i % s) * s + j % s) * phaseLength + (i / s) * rowFloats + j / s
        }
    }

    /// Floats per band row of `count` images.
    private func rowLength(_ count: Int) -> Int { count * imageWidth }

    /// Wide positions of `count` images (every output row of the band), rounded up to whole tiles.
    private func wideCount(_ count: Int) -> Int { roundedUp(g.outHeight * rowLength(count), to: Self.tileWidth) }

    /// Stacks `count` images starting at `first` into `stacked` (`rows` channels of `stackedLength`, of which
    /// the first `inChannels` hold images).
    private func stack(_ images: UnsafePointer<Float>, first: Int, count: Int, into stacked: UnsafeMutablePointer<Float>, rows: Int) {
        if g.stride == 1 {
            place(images, channels: g.inChannels, height: g.height, width: g.width, padding: g.padding,
                  first: first, count: count, into: stacked, rows: rows)
        } else {
            placePhases(images, first: first, count: count, into: stacked, rows: rows)
        }
    }

    /// Writes every float of the `rows` channels of `stacked`: the pixels of `count` images of `channels` ×
    /// height × width at `(padding + h)·rowLength + padding + k·imageWidth + w`, zeros everywhere else (so a
    /// buffer needs no clearing before a group, whatever it held).
    private func place(_ images: UnsafePointer<Float>, channels: Int, height: Int, width: Int, padding: Int,
                       first: Int, count: Int, into stacked: UnsafeMutablePointer<Float>, rows: Int) {
        let (length, plane, rowFloats) = (stackedLength, height * width, rowLength(count))
        let origin = padding * rowFloats + padding, end = origin + height * rowFloats
        for c in 0..<channels {
            let channel = stacked + c * length
            channel.update(repeating: 0, count: origin)
            for h in 0..<height {
                var target = channel + origin + h * rowFloats
                var source = images + ((first * channels) + c) * plane + h * width
                for _ in 0..<count {
                    copyRow(from: source, to: target, count: width)
                    for w in width..<imageWidth { target[w] = 0 }
                    target += imageWidth
                    source += channels * plane
                }
            }
            (channel + end).update(repeating: 0, count: length - end)
        }
        (stacked + channels * length).update(repeating: 0, count: (rows - channels) * length)
    }

    /// `place` for stride s > 1: image k's pixel (h, w) sits at row padding + h, column
    /// k·s·imageWidth + padding + w of a stride-1 band s times as wide; phase (py, px) of a channel holds
    /// that band's rows ≡ py and columns ≡ px (mod s), divided by s. Zeros everywhere else.
    private func placePhases(_ images: UnsafePointer<Float>, first: Int, count: Int,
                             into stacked: UnsafeMutablePointer<Float>, rows: Int) {
        let (s, p, height, width, channels) = (g.stride, g.padding, g.height, g.width, g.inChannels)
        let (plane, rowFloats, length) = (height * width, rowLength(count), phaseLength)
        // Phase py's band rows that hold image rows (h ≡ py − padding mod s, from `first`): consecutive.
        let imageRows = (0..<s).map { py -> (first: Int, rows: Range<Int>) in
            let h = ((py - p) % s + s) % s
            let count = max(0, height - h + s - 1) / s
            return (h, ((p + h) / s)..<((p + h) / s + count))
        }
        // One row of the wide band (zeros with image rows at k·s·imageWidth + padding), stored well before the
        // phases read it back; its slack covers whole-vector reads past the end.
        let wideFloats = s * rowFloats + 2 * Vector.scalarCount
        withUnsafeTemporaryAllocation(of: Float.self, capacity: wideFloats) { wideBuffer in
            let wide = wideBuffer.baseAddress!
            wide.initialize(repeating: 0, count: wideFloats)
            for c in 0..<channels {
                for py in 0..<s {
                    let rows = imageRows[py].rows
                    for px in 0..<s {
                        let phase = stacked + c * stackedLength + (py * s + px) * length
                        phase.update(repeating: 0, count: rows.lowerBound * rowFloats)
                        (phase + rows.upperBound * rowFloats).update(repeating: 0, count: length - rows.upperBound * rowFloats)
                    }
                    for (index, h) in stride(from: imageRows[py].first, to: height, by: s).enumerated() {
                        var source = images + (first * channels + c) * plane + h * width
                        for k in 0..<count {
                            copyRow(from: source, to: wide + k * s * imageWidth + p, count: width)
                            source += channels * plane
                        }
                        let row = (rows.lowerBound + index) * rowFloats
                        for px in 0..<s {
                            copyEvery(s, from: wide + px, to: stacked + c * stackedLength + (py * s + px) * length + row, count: rowFloats)
                        }
                    }
                }
            }
        }
        (stacked + channels * stackedLength).update(repeating: 0, count: (rows - channels) * stackedLength)
    }

    // MARK: Passes

    /// output = conv(input, weight) + bias.
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 output: UnsafeMutablePointer<Float>) {
        withPackedWeights(weight) { packed in
            forEachGroup(buffers: [g.inChannels * stackedLength]) { buffers, first, count, _ in
                stack(input, first: first, count: count, into: buffers[0], rows: g.inChannels)
                multiply(stacked: buffers[0], packed: packed, bias: bias, first: first, count: count, output: output)
            }
        }
    }

    /// The grouping of `backward`: the forward's, or smaller if the stacked output gradient needs it.
    private var backwardPlan: Conv2DDirect {
        guard hasDirectInputGradient else { return self }
        let group = min(imagesPerGroup, Conv2DDirect(transposed).imagesPerGroup)
        // One stacked output gradient serves both passes: the longer of the two channel lengths.
        let length = max(Conv2DDirect(g, imagesPerGroup: group).stackedLength,
                         Conv2DDirect(transposed, imagesPerGroup: group).stackedLength)
        return Conv2DDirect(g, imagesPerGroup: group, stackedLength: length)
    }

    /// The input, weight and bias gradients, each overwritten when given, from one stacked copy of the
    /// output gradient per group. The weight and bias gradients are summed from one partial per group,
    /// added in group order, so they do not depend on which worker took which group. The input gradient
    /// needs `hasDirectInputGradient`.
    func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                  inputGrad: UnsafeMutablePointer<Float>?, weightGrad: UnsafeMutablePointer<Float>?,
                  biasGrad: UnsafeMutablePointer<Float>? = nil) {
        precondition(inputGrad == nil || hasDirectInputGradient, "Conv2DDirect: no direct input gradient for \(g)")
        let plan = backwardPlan
        let gradPlan = inputGrad == nil ? nil
            : Conv2DDirect(transposed, imagesPerGroup: plan.imagesPerGroup, stackedLength: plan.stackedLength)
        // The output gradient at the wide positions: at offset 0, or, when it also feeds the input gradient,
        // where the transposed convolution's stacking puts it (same bands, shifted by its padding).
        let gradPadding = gradPlan?.g.padding ?? 0
        // The correlation reads whole tiles of output channels: rows past the last one stay zero.
        let gradRows = plan.tileBlocks * Self.tileRows
        assert(gradPlan == nil || gradPlan!.stackedLength == plan.stackedLength && gradPlan!.imageWidth == plan.imageWidth)
        let partialsScratch = weightGrad == nil ? nil : ScratchPool.take(plan.groupCount * g.weightCount)
        defer { partialsScratch.map(ScratchPool.give) }
        let weightPartials = partialsScratch?.pointer
        let biasScratch = biasGrad == nil ? nil : ScratchPool.take(plan.groupCount * g.outChannels)
        defer { biasScratch.map(ScratchPool.give) }
        let biasPartials = biasScratch?.pointer
        func run(_ packed: UnsafePointer<Float>?) {
            // Up to a cache line's worth of slack in front of the stacked output gradient, see below.
            let sizes = [gradRows * plan.stackedLength + Self.cacheLineFloats, weightPartials == nil ? 0 : g.inChannels * plan.stackedLength]
            plan.forEachGroup(buffers: sizes) { buffers, first, count, group in
                // The correlation's eight output-gradient loads per step are whole cache lines (not split
                // across two, measured 4-5% of a convolution's backward) when the output gradient's first
                // wide position is one: the band starts that much later in its buffer.
                let gradOrigin = gradPadding * plan.rowLength(count) + gradPadding
                let shift = (Self.cacheLineFloats - gradOrigin % Self.cacheLineFloats) % Self.cacheLineFloats
                let (stackedGrad, stackedInput) = (buffers[0] + shift, buffers[1])
                plan.place(outputGrad, channels: g.outChannels, height: g.outHeight, width: g.outWidth, padding: gradPadding,
                           first: first, count: count, into: stackedGrad, rows: gradRows)
                if let biasPartials {
                    // The band holds the group's output gradient and zeros: its rows sum to the bias gradient.
                    let rows = (gradPadding * plan.rowLength(count))..<((gradPadding + g.outHeight) * plan.rowLength(count))
                    for o in 0..<g.outChannels {
                        biasPartials[group * g.outChannels + o] =
                            VectorMath.sum(stackedGrad + o * plan.stackedLength + rows.lowerBound, count: rows.count)
                    }
                }
                if let weightPartials {
                    plan.stack(input, first: first, count: count, into: stackedInput, rows: g.inChannels)
                    plan.correlate(wideGrad: stackedGrad + gradOrigin, gradStride: plan.stackedLength, count: count, stacked: stackedInput,
                                   into: weightPartials + group * g.weightCount)
                }
                if let gradPlan, let packed, let inputGrad {
                    gradPlan.multiply(stacked: stackedGrad, packed: packed, bias: nil, first: first, count: count, output: inputGrad)
                }
            }
        }
        if let gradPlan {
            ScratchPool.withBuffer(g.weightCount) { flipped in
                flippedTransposedWeights(weight, into: flipped)
                gradPlan.withPackedWeights(flipped) { run($0) }
            }
        } else {
            run(nil)
        }
        if let weightGrad, let weightPartials {
            Conv2DKernels.sumPartials(weightPartials, parts: plan.groupCount, count: g.weightCount, into: weightGrad)
        }
        if let biasGrad, let biasPartials {
            Conv2DKernels.sumPartials(biasPartials, parts: plan.groupCount, count: g.outChannels, into: biasGrad)
        }
    }

    // MARK: Workers and weights

    /// `body(buffers, first, count, group)` for each group of images (group = first / imagesPerGroup), the
    /// groups handed to whichever worker is free; each worker has its own buffers (floats per entry).
    private func forEachGroup(buffers sizes: [Int],
                              _ body: (_ buffers: [UnsafeMutablePointer<Float>], _ first: Int, _ count: Int, _ group: Int) -> Void) {
        let workers = min(Parallel.threads, groupCount)
        let taken = (0..<workers).map { _ in sizes.map(ScratchPool.take) }
        defer { taken.joined().forEach(ScratchPool.give) }
        let buffers = taken.map { $0.map(\.pointer) }
        Parallel.forEachDynamically(groupCount) { worker, group in
            let first = group * imagesPerGroup
            body(buffers[worker], first, min(imagesPerGroup, g.batch - first), group)
        }
    }

    private static let cacheLineFloats = 16

    /// The weight as the tiles read it: `packed[block][c][i][j][row]` = weight[block·tileRows + row, c, i, j],
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
    func flippedTransposedWeights(_ weight: UnsafePointer<Float>, into flipped: UnsafeMutablePointer<Float>) {
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

    /// output[first + k, o] = bias[o] + Σ_{c,i,j} weight[o, c, i, j]·stacked[c, t + i·rowLength + j] at every
    /// wide position t of the `count` images, one register tile (`tileRows` output channels × `tileWidth`
    /// positions) at a time; each finished tile's pixels (not its junk positions) go straight to `output`.
    private func multiply(stacked: UnsafePointer<Float>, packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          first: Int, count: Int, output: UnsafeMutablePointer<Float>) {
        let (C, taps, rows, width) = (g.inChannels, self.taps, Self.tileRows, Self.tileWidth)
        let (length, wideLength, offsets) = (stackedLength, wideCount(count), tapOffsets(count: count))
        // Cache-line aligned, so that no store of a finished tile straddles two lines.
        withUnsafeTemporaryAllocation(byteCount: rows * width * MemoryLayout<Float>.stride, alignment: 64) { tileBuffer in
            let tile = tileBuffer.baseAddress!.bindMemory(to: Float.self, capacity: rows * width)
            var start = [Float](repeating: 0, count: rows)
            for block in 0..<tileBlocks {
                let channels = min(rows, g.outChannels - block * rows)
                for row in 0..<rows { start[row] = row < channels ? bias?[block * rows + row] ?? 0 : 0 }
                let weights = packed + block * g.patchSize * rows
                var t0 = 0
                while t0 < wideLength {
                    var accumulators = RegisterTile(start)
                    var w = weights
                    for c in 0..<C {
                        let channel = stacked + c * length + t0
                        for tap in 0..<taps {
                            let source = channel + offsets[tap]
                            accumulators.add(scales: w, load(source), load(source + Vector.scalarCount), load(source + 2 * Vector.scalarCount))
                            w += rows
                        }
                    }
                    accumulators.store(tile, rowStride: width)
                    scatter(tile, positions: t0..<(t0 + width), block: block, channels: channels, first: first, count: count, output: output)
                    t0 += width
                }
            }
        }
    }

    /// Copies the pixels among a tile's wide positions to their places in the output, row run by row run.
    @inline(__always)
    private func scatter(_ tile: UnsafePointer<Float>, positions: Range<Int>, block: Int, channels: Int,
                         first: Int, count: Int, output: UnsafeMutablePointer<Float>) {
        let (outH, outW, plane, outC, rowFloats) = (g.outHeight, g.outWidth, g.outputPlane, g.outChannels, rowLength(count))
        var t = positions.lowerBound
        while t < positions.upperBound {
            let (oh, offset) = t.quotientAndRemainder(dividingBy: rowFloats)
            let (image, ow) = offset.quotientAndRemainder(dividingBy: imageWidth)
            guard oh < outH else { return }
            if ow >= outW { t += imageWidth - ow; continue }
            let run = min(outW - ow, positions.upperBound - t)
            let target = output + ((first + image) * outC + block * Self.tileRows) * plane + oh * outW + ow
            let source = tile + (t - positions.lowerBound)
            for row in 0..<channels { copyRow(from: source + row * Self.tileWidth, to: target + row * plane, count: run) }
            t += run
        }
    }

    /// weightGrad[o, c, i, j] = Σ_t wideGrad[o, t]·stacked[c, t + i·rowLength + j], for `CorrelationTile.rows`
    /// output channels × 3 taps at a time. The positions are taken in chunks whose output
    /// gradient stays in L1 while every (channel, taps) pair sweeps it; the accumulators carry over between
    /// chunks in `partials` and are summed across lanes once at the end.
    private func correlate(wideGrad: UnsafePointer<Float>, gradStride: Int, count: Int, stacked: UnsafePointer<Float>,
                           into weightGrad: UnsafeMutablePointer<Float>) {
        let (C, rows, taps, wideLength, offsets) = (g.inChannels, Self.tileRows, self.taps, wideCount(count), tapOffsets(count: count))
        let width = Vector.scalarCount, tapGroups = (taps + 2) / 3, chunkLength = 768
        let tileFloats = rows * 3 * width
        // Where weight (c, tap)'s accumulators sit in `partials`, for the first output channel of a tile.
        let sumOffsets = (0..<(C * taps)).map { index in
            let (c, tap) = index.quotientAndRemainder(dividingBy: taps)
            return (c * tapGroups + tap / 3) * tileFloats + tap % 3 * width
        }
        ScratchPool.withBuffer(C * tapGroups * tileFloats) { partials in
            for block in 0..<tileBlocks {
                let grads = wideGrad + block * rows * gradStride
                for chunk in stride(from: 0, to: wideLength, by: chunkLength) {
                    let end = min(chunk + chunkLength, wideLength)
                    for c in 0..<C {
                        for tapGroup in 0..<tapGroups {
                            // The last group of a kernel whose tap count is not a multiple of 3 repeats its last tap.
                            func source(_ slot: Int) -> UnsafePointer<Float> {
                                stacked + c * stackedLength + offsets[min(3 * tapGroup + slot, taps - 1)]
                            }
                            let (s0, s1, s2) = (source(0), source(1), source(2))
                            let saved = partials + (c * tapGroups + tapGroup) * tileFloats
                            for row in stride(from: 0, to: rows, by: CorrelationTile.rows) {
                                let (d, out) = (grads + row * gradStride, saved + row * 3 * width)
                                var accumulators = chunk == 0 ? CorrelationTile(zero: ()) : CorrelationTile(out, rowStride: 3 * width)
                                var t = chunk
                                while t < end {
                                    accumulators.add(rows: d + t, rowStride: gradStride, load(s0 + t), load(s1 + t), load(s2 + t))
                                    t += width
                                }
                                accumulators.store(out, rowStride: 3 * width)
                            }
                        }
                    }
                }
                for row in 0..<rows where block * rows + row < g.outChannels {
                    let target = weightGrad + (block * rows + row) * C * taps, tile = partials + row * 3 * width
                    var index = 0
                    #if LZN_AVX512
                    // An output channel's C·taps sums are consecutive in weightGrad: 16 lane sums at a time.
                    while index + width <= sumOffsets.count {
                        VectorMath.store(VectorMath.treeSums { load(tile + sumOffsets[index + $0]) }, target + index)
                        index += width
                    }
                    #endif
                    for rest in index..<sumOffsets.count { target[rest] = VectorMath.treeSum(load(tile + sumOffsets[rest])) }
                }
            }
        }
    }

    #if LZN_AVX512
    private typealias CorrelationTile = RegisterTile
    #else
    // With AVX2's 16 registers, 4 rows × 3 taps and the three input vectors fill them all, and the compiler's
    // unrolled loop spilled accumulators to the stack: two rows at a time made the backward 1.3× faster.
    private typealias CorrelationTile = RowPair
    #endif

    /// The accumulators of one register tile, `tileRows` rows of three vectors: output channels × wide
    /// positions in the forward, output channels × taps in the weight gradient. Named fields, not an
    /// array, so that they stay in registers.
    struct RegisterTile {
        #if LZN_AVX512
        var r0, r1, r2, r3, r4, r5, r6, r7: Tile
        #else
        var r0, r1, r2, r3: Tile
        #endif
        static var rows: Int { Conv2DDirect.tileRows }

        @inline(__always) init(zero: Void) {
            r0 = Tile(0); r1 = r0; r2 = r0; r3 = r0
            #if LZN_AVX512
            r4 = r0; r5 = r0; r6 = r0; r7 = r0
            #endif
        }

        /// Row k is start[k] in every lane.
        @inline(__always) init(_ start: [Float]) {
            r0 = Tile(start[0]); r1 = Tile(start[1]); r2 = Tile(start[2]); r3 = Tile(start[3])
            #if LZN_AVX512
            r4 = Tile(start[4]); r5 = Tile(start[5]); r6 = Tile(start[6]); r7 = Tile(start[7])
            #endif
        }

        /// Row k from the three vectors at p + k·rowStride.
        @inline(__always) init(_ p: UnsafePointer<Float>, rowStride: Int) {
            r0 = Tile(p); r1 = Tile(p + rowStride); r2 = Tile(p + 2 * rowStride); r3 = Tile(p + 3 * rowStride)
            #if LZN_AVX512
            r4 = Tile(p + 4 * rowStride); r5 = Tile(p + 5 * rowStride); r6 = Tile(p + 6 * rowStride); r7 = Tile(p + 7 * rowStride)
            #endif
        }

        /// Row k += scales[k]·(x0, x1, x2).
        @inline(__always) mutating func add(scales w: UnsafePointer<Float>, _ x0: Vector, _ x1: Vector, _ x2: Vector) {
            r0.add(w[0], x0, x1, x2); r1.add(w[1], x0, x1, x2); r2.add(w[2], x0, x1, x2); r3.add(w[3], x0, x1, x2)
            #if LZN_AVX512
            r4.add(w[4], x0, x1, x2); r5.add(w[5], x0, x1, x2); r6.add(w[6], x0, x1, x2); r7.add(w[7], x0, x1, x2)
            #endif
        }

        /// Row k += v_k ⊙ (x0, x1, x2), v_k the vector at d + k·rowStride.
        @inline(__always) mutating func add(rows d: UnsafePointer<Float>, rowStride: Int, _ x0: Vector, _ x1: Vector, _ x2: Vector) {
            func row(_ k: Int) -> Vector { Conv2DDirect.load(d + k * rowStride) }
            r0.add(row(0), x0, x1, x2); r1.add(row(1), x0, x1, x2); r2.add(row(2), x0, x1, x2); r3.add(row(3), x0, x1, x2)
            #if LZN_AVX512
            r4.add(row(4), x0, x1, x2); r5.add(row(5), x0, x1, x2); r6.add(row(6), x0, x1, x2); r7.add(row(7), x0, x1, x2)
            #endif
        }

        @inline(__always) func store(_ p: UnsafeMutablePointer<Float>, rowStride: Int) {
            r0.store(p); r1.store(p + rowStride); r2.store(p + 2 * rowStride); r3.store(p + 3 * rowStride)
            #if LZN_AVX512
            r4.store(p + 4 * rowStride); r5.store(p + 5 * rowStride); r6.store(p + 6 * rowStride); r7.store(p + 7 * rowStride)
            #endif
        }
    }

    /// `RegisterTile` with two rows: output channels × 3 taps in the weight gradient without AVX-512.
    private struct RowPair {
        var r0, r1: Tile
        static var rows: Int { 2 }

        @inline(__always) init(zero: Void) {
            r0 = Tile(0)
            r1 = r0
        }

        @inline(__always) init(_ p: UnsafePointer<Float>, rowStride: Int) {
            r0 = Tile(p)
            r1 = Tile(p + rowStride)
        }

        @inline(__always) mutating func add(rows d: UnsafePointer<Float>, rowStride: Int, _ x0: Vector, _ x1: Vector, _ x2: Vector) {
            r0.add(Conv2DDirect.load(d), x0, x1, x2)
            r1.add(Conv2DDirect.load(d + rowStride), x0, x1, x2)
        }

        @inline(__always) func store(_ p: UnsafeMutablePointer<Float>, rowStride: Int) {
            r0.store(p)
            r1.store(p + rowStride)
        }
    }

    /// Three vectors of accumulators: one output channel × three vectors of positions, or × 3 taps.
    struct Tile {
        var a: Vector, b: Vector, c: Vector

        @inline(__always) init(_ value: Float) {
            a = Vector(repeating: value)
            b = a
            c = a
        }

        @inline(__always) init(_ p: UnsafePointer<Float>) {
            a = Conv2DDirect.load(p)
            b = Conv2DDirect.load(p + Vector.scalarCount)
            c = Conv2DDirect.load(p + 2 * Vector.scalarCount)
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
            VectorMath.store(b, p + Vector.scalarCount)
            VectorMath.store(c, p + 2 * Vector.scalarCount)
        }
    }

    /// `VectorMath.load` at this kernel's width.
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Vector { VectorMath.load(p) }

    @inline(__always) private func load(_ p: UnsafePointer<Float>) -> Vector { Self.load(p) }
}

/// Copies a short row (an image row of 7-28 floats) without a call into memmove: whole vectors, the last
/// one overlapping the one before (source and target never overlap).
@inline(__always)
func copyRow(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    @inline(__always) func copy<V: SIMD>(_: V.Type, at i: Int) where V.Scalar == Float {
        UnsafeMutableRawPointer(target + i).storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: V.self), as: V.self)
    }
    switch count {
    case 16...:
        var i = 0
        while i + 16 <= count { copy(SIMD16<Float>.self, at: i); i += 16 }
        if i < count { copy(SIMD16<Float>.self, at: count - 16) }
    case 8..<16:
        copy(SIMD8<Float>.self, at: 0)
        copy(SIMD8<Float>.self, at: count - 8)
    case 4..<8:
        copy(SIMD4<Float>.self, at: 0)
        copy(SIMD4<Float>.self, at: count - 4)
    default:
        for i in 0..<count { target[i] = source[i] }
    }
}

/// target[q] = source[q·step] for q < count; with step 2, whole vectors of even lanes (the last one
/// overlapping), reading up to one vector's worth of floats past the last one used.
@inline(__always)
private func copyEvery(_ step: Int, from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    @inline(__always) func evens16(at q: Int) {
        let pairs = UnsafeRawPointer(source + 2 * q).loadUnaligned(as: SIMD32<Float>.self)
        UnsafeMutableRawPointer(target + q).storeBytes(of: pairs.evenHalf, as: SIMD16<Float>.self)
    }
    @inline(__always) func evens8(at q: Int) {
        let pairs = UnsafeRawPointer(source + 2 * q).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(target + q).storeBytes(of: pairs.evenHalf, as: SIMD8<Float>.self)
    }
    switch (step, count) {
    case (2, 16...):
        var q = 0
        while q + 16 <= count { evens16(at: q); q += 16 }
        if q < count { evens16(at: count - 16) }
    case (2, 8..<16):
        evens8(at: 0)
        evens8(at: count - 8)
    default:
        for q in 0..<count { target[q] = source[q * step] }
    }
}
