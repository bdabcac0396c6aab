import CBLAS

/// 3×3 stride-1 "same" convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray 2016): each
/// 2×2 block of outputs ("tile") is Aᵀ·[Σ_c (G·w[o,c]·Gᵀ) ⊙ (Bᵀ·d[c]·B)]·A, where d[c] is the tile's 4×4
/// input patch. The sum over channels is 16 independent products (one per element ξ of the 4×4 transformed
/// patch) of transformed weights [O × C] by transformed inputs [C × tiles]: 16 multiplications per output
/// tile and channel pair where the direct convolution needs 36, so 2.25× fewer, run on the direct
/// convolution's register tiles.
///
/// Tiles are numbered image by image, row by row; a worker takes a chunk of consecutive tiles, transforms
/// their inputs, multiplies, and transforms the products straight into the output, all in its own buffers
/// (an L2's share). The input gradient of such a convolution is the same kind of convolution of the output
/// gradient with the flipped, transposed kernel; the weight gradient is the forward's adjoint in the weights
/// (`weightGradient`).
struct Conv2DWinograd {
    typealias Vector = Conv2DDirect.Vector
    static let tileRows = Conv2DDirect.tileRows
    static let tileWidth = Conv2DDirect.tileWidth
    /// Floats of transformed inputs and products per chunk: 512 KB, a Zen 3 core's L2 (the decoder forward
    /// took ~5% less time than with half of it; smaller chunks also mean more partial register tiles).
    static let chunkBudget = 1 << 17

    let g: Conv2DGeometry
    let tilesHigh: Int
    let tilesWide: Int
    /// Output channels rounded up to whole register tiles.
    let paddedOutChannels: Int
    /// Tiles per chunk, a whole number of register tiles.
    let chunkTiles: Int
    /// Floats per row of the transformed inputs and products: a chunk and a vector of slack.
    var rowStride: Int { chunkTiles + 8 }
    /// Floats from one ξ's transformed inputs to the next's, and likewise for the products: a cache line more
    /// than their rows, so that the 16 streams of a transform (often 4 KB multiples apart) fall in different
    /// L1 sets; without it the 64→64 convolution at 14×14 took 1.3× as long.
    var inputXiStride: Int { g.inChannels * rowStride + 16 }
    var productXiStride: Int { paddedOutChannels * rowStride + 16 }

    /// Whether `g` is a convolution this handles and gains from: a 3×3 kernel, stride 1, padding 1, and
    /// enough channels that the transforms cost little next to the products.
    static func handles(_ g: Conv2DGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1
            && g.inChannels >= 16 && g.outChannels >= 16
    }

    init(_ g: Conv2DGeometry) {
        precondition(Self.handles(g), "Conv2DWinograd: \(g)")
        self.g = g
        tilesHigh = (g.height + 1) / 2
        tilesWide = (g.width + 1) / 2
        paddedOutChannels = roundedUp(g.outChannels, to: Self.tileRows)
        let floatsPerTile = 16 * (g.inChannels + paddedOutChannels)
        chunkTiles = max(1, Self.chunkBudget / (floatsPerTile * Self.tileWidth)) * Self.tileWidth
    }

    private var tileCount: Int { g.batch * tilesHigh * tilesWide }
    private var chunkCount: Int { (tileCount + chunkTiles - 1) / chunkTiles }

    /// The tiles of chunk `index`: `chunkTiles` consecutive ones, fewer in the last.
    private func tiles(ofChunk index: Int) -> Range<Int> {
        (index * chunkTiles)..<min(tileCount, (index + 1) * chunkTiles)
    }

    /// output = conv(input, weight) + bias.
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 output: UnsafeMutablePointer<Float>) {
        let transformedCount = 16 * inputXiStride, productCount = 16 * productXiStride
        ScratchPool.withBuffer(16 * paddedOutChannels * g.inChannels) { packed in
            transformWeights(weight, into: packed)
            let chunks = chunkCount
            let workers = min(Parallel.threads, chunks)
            let taken = (0..<workers).map { _ in ScratchPool.take(transformedCount + productCount + 4 * rowStride) }
            defer { taken.forEach(ScratchPool.give) }
            Parallel.forEachDynamically(chunks) { worker, chunk in
                let transformed = taken[worker].pointer, products = transformed + transformedCount
                let tiles = self.tiles(ofChunk: chunk)
                transformInput(input, tiles: tiles, into: transformed)
                multiply(transformed, packed, count: tiles.count, into: products)
                transformOutput(products, tiles: tiles, bias: bias, scratch: products + productCount, into: output)
            }
        }
    }

    /// weightGrad[o, c] = Gᵀ·[Σ over images and tiles (A·dy[o]·Aᵀ) ⊙ (Bᵀ·d[c]·B)]·G, with dy the output
    /// gradient's 2×2 block at the tile (zero past the image's edge): the adjoint of `forward` in the weights.
    /// The 16 sums over tiles are GEMMs [O × tiles]·[tiles × C], 16 multiplications per tile and channel pair
    /// where the direct kernel's correlation needs 36. Each worker sums a fixed share of the chunks and the
    /// shares are added in order, so the result does not depend on the schedule.
    func weightGradient(input: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                        into weightGrad: UnsafeMutablePointer<Float>) {
        let (C, O) = (g.inChannels, g.outChannels)
        let sumCount = 16 * O * C, transformedCount = 16 * inputXiStride
        let chunks = chunkCount
        let workers = min(KernelParallel.workerCount, chunks)
        ScratchPool.withBuffer(workers * sumCount) { partials in
            partials.update(repeating: 0, count: workers * sumCount)
            KernelParallel.forEachWorkerChunk(chunks) { worker, share in
                let buffers = ScratchPool.take(transformedCount + 16 * productXiStride)
                defer { ScratchPool.give(buffers) }
                let transformed = buffers.pointer, gradients = transformed + transformedCount
                let sums = partials + worker * sumCount
                for chunk in share {
                    let tiles = self.tiles(ofChunk: chunk)
                    transformInput(input, tiles: tiles, into: transformed)
                    transformOutputGradient(outputGrad, tiles: tiles, into: gradients)
                    for xi in 0..<16 {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(O), Int32(C), Int32(tiles.count), 1,
                                    gradients + xi * productXiStride, Int32(rowStride),
                                    transformed + xi * inputXiStride, Int32(rowStride), 1, sums + xi * O * C, Int32(C))
                    }
                }
            }
            ScratchPool.withBuffer(sumCount) { total in
                Conv2DKernels.sumPartials(partials, parts: workers, count: sumCount, into: total)
                transformWeightGradient(total, into: weightGrad)
            }
        }
    }

    // MARK: Transforms

    /// packed[ξ][o][c] = (G·w[o, c]·Gᵀ)[ξ] in register-tile order: `packed[((ξ·blocks + block)·C + c)·rows + row]`,
    /// zero for output channels past the last. G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    private func transformWeights(_ weight: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        let (C, O, rows) = (g.inChannels, g.outChannels, Self.tileRows)
        let blocks = paddedOutChannels / rows
        packed.update(repeating: 0, count: 16 * paddedOutChannels * C)
        /// G·v for a column v of three: four values.
        @inline(__always) func lift(_ v0: Float, _ v1: Float, _ v2: Float) -> SIMD4<Float> {
            SIMD4(v0, (v0 + v1 + v2) / 2, (v0 - v1 + v2) / 2, v2)
        }
        for o in 0..<O {
            let (block, row) = o.quotientAndRemainder(dividingBy: rows)
            for c in 0..<C {
                let w = weight + (o * C + c) * 9
                // Columns of G·w (4 × 3), then row k of (G·w)·Gᵀ is G applied to row k of G·w.
                let (g0, g1, g2) = (lift(w[0], w[3], w[6]), lift(w[1], w[4], w[7]), lift(w[2], w[5], w[8]))
                for k in 0..<4 {
                    let u = lift(g0[k], g1[k], g2[k])
                    for l in 0..<4 { packed[(((4 * k + l) * blocks + block) * C + c) * rows + row] = u[l] }
                }
            }
        }
    }

    /// The tile rows (image, tile row ty) that a range of tiles touches, with each one's tiles in the range:
    /// `body(image, ty, columns, local)`, `local` the position of the first of `columns` in the chunk.
    @inline(__always)
    private func forEachTileRow(_ tiles: Range<Int>, _ body: (_ image: Int, _ ty: Int, _ columns: Range<Int>, _ local: Int) -> Void) {
        var tileRow = tiles.lowerBound / tilesWide
        while tileRow * tilesWide < tiles.upperBound {
            let start = tileRow * tilesWide
            let columns = max(0, tiles.lowerBound - start)..<min(tilesWide, tiles.upperBound - start)
            let (image, ty) = tileRow.quotientAndRemainder(dividingBy: tilesHigh)
            body(image, ty, columns, start + columns.lowerBound - tiles.lowerBound)
            tileRow += 1
        }
    }

    /// transformed[ξ][c][t] = (Bᵀ·d·B)[ξ] for the 4×4 zero-padded input patch d of channel c at each tile t
    /// of the chunk, Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]. A patch row's even and
    /// odd columns are split apart first, so that every step is a vector over 8 consecutive tiles; a run's
    /// last vector may write up to 7 positions past it, into the next run's place (written after it) or the
    /// slack at the end of each row of `transformed`.
    private func transformInput(_ input: UnsafePointer<Float>, tiles: Range<Int>, into transformed: UnsafeMutablePointer<Float>) {
        typealias V8 = SIMD8<Float>
        let (C, H, W, stride) = (g.inChannels, g.height, g.width, rowStride)
        let plane = H * W, halves = roundedUp(tilesWide + 8, to: 8), paddedRows = 2 * tilesHigh + 2
        // evens[p][q] = padded row p (input row p − 1) at padded column 2q (input column 2q − 1), odds[p][q] at
        // 2q + 1; zeros outside the image. The rows of a channel's tile rows in the chunk are first copied into
        // zero-padded lines, then all split with vector shuffles: a vector load of floats just stored by
        // narrower stores stalls (store forwarding fails), so no line is read right after it is written.
        let lineLength = 2 * halves + 16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: (2 * halves + lineLength) * paddedRows) { buffer in
            let evens = buffer.baseAddress!, odds = evens + paddedRows * halves, lines = odds + paddedRows * halves
            // Columns outside 1…W of every line stay zero.
            lines.initialize(repeating: 0, count: lineLength * paddedRows)
            for c in 0..<C {
                var prepared = (image: -1, rows: 0..<0)
                forEachTileRow(tiles) { image, ty, columns, local in
                    if prepared.image != image || !prepared.rows.contains(2 * ty + 3) {
                        // The padded rows of this image's tile rows in the chunk, from this one on.
                        let lastTileRow = min(tilesHigh - 1, ty + (tiles.upperBound - 1 - (image * tilesHigh + ty) * tilesWide) / tilesWide)
                        prepared = (image, (2 * ty)..<(2 * lastTileRow + 4))
                        let channel = input + (image * C + c) * plane
                        let imageRows = max(1, prepared.rows.lowerBound)..<min(H + 1, prepared.rows.upperBound)
                        for p in imageRows { copyRow(from: channel + (p - 1) * W, to: lines + p * lineLength + 1, count: W) }
                        for p in prepared.rows {
                            let (e, o) = (evens + p * halves, odds + p * halves)
                            guard imageRows.contains(p) else {
                                e.update(repeating: 0, count: halves)
                                o.update(repeating: 0, count: halves)
                                continue
                            }
                            let line = lines + p * lineLength
                            for q in Swift.stride(from: 0, to: halves, by: 8) {
                                let pairs = VectorMath.load(line + 2 * q, as: SIMD16<Float>.self)
                                VectorMath.store(pairs.evenHalf, e + q)
                                VectorMath.store(pairs.oddHalf, o + q)
                            }
                        }
                    }
                    let (evens, odds) = (evens + 2 * ty * halves, odds + 2 * ty * halves)
                    let out = transformed + c * stride + local - columns.lowerBound
                    let xiStride = inputXiStride
                    for tx in Swift.stride(from: columns.lowerBound, to: columns.upperBound, by: 8) {
                        // Bᵀ·d on the rows, for columns 2tx (e), 2tx+1 (o), 2tx+2 (e1), 2tx+3 (o1).
                        @inline(__always) func rows(_ base: UnsafePointer<Float>, _ shift: Int) -> (V8, V8, V8, V8) {
                            let (d0, d1, d2, d3): (V8, V8, V8, V8) = (VectorMath.load(base + tx + shift), VectorMath.load(base + halves + tx + shift),
                                                    VectorMath.load(base + 2 * halves + tx + shift), VectorMath.load(base + 3 * halves + tx + shift))
                            return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
                        }
                        let (e, o, e1, o1) = (rows(evens, 0), rows(odds, 0), rows(evens, 1), rows(odds, 1))
                        // ·B on the columns, row k of the transformed patch.
                        @inline(__always) func columns(_ k: Int, _ e: V8, _ o: V8, _ e1: V8, _ o1: V8) {
                            let target = out + 4 * k * xiStride + tx
                            VectorMath.store(e - e1, target)
                            VectorMath.store(o + e1, target + xiStride)
                            VectorMath.store(e1 - o, target + 2 * xiStride)
                            VectorMath.store(o - o1, target + 3 * xiStride)
                        }
                        columns(0, e.0, o.0, e1.0, o1.0)
                        columns(1, e.1, o.1, e1.1, o1.1)
                        columns(2, e.2, o.2, e1.2, o1.2)
                        columns(3, e.3, o.3, e1.3, o1.3)
                    }
                }
            }
        }
    }

    /// products[ξ][o][t] = Σ_c packed[ξ][o][c]·transformed[ξ][c][t], a register tile at a time (whole tiles, so
    /// up to a tile's worth of positions past `count` are computed from whatever the buffer holds and dropped).
    private func multiply(_ transformed: UnsafePointer<Float>, _ packed: UnsafePointer<Float>, count: Int,
                          into products: UnsafeMutablePointer<Float>) {
        let (C, rows, width, stride) = (g.inChannels, Self.tileRows, Self.tileWidth, rowStride)
        let blocks = paddedOutChannels / rows, step = Vector.scalarCount
        for xi in 0..<16 {
            let inputs = transformed + xi * inputXiStride
            for block in 0..<blocks {
                let weights = packed + (xi * blocks + block) * C * rows
                let out = products + xi * productXiStride + block * rows * stride
                var t0 = 0
                while t0 < count {
                    var accumulators = Conv2DDirect.RegisterTile(zero: ())
                    var (w, x) = (weights, inputs + t0)
                    for _ in 0..<C {
                        accumulators.add(scales: w, Conv2DDirect.load(x), Conv2DDirect.load(x + step), Conv2DDirect.load(x + 2 * step))
                        w += rows
                        x += stride
                    }
                    accumulators.store(out + t0, rowStride: stride)
                    t0 += width
                }
            }
        }
    }

    /// output tile = Aᵀ·m·A + bias for each output channel and tile, m = products[·][o][t],
    /// Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]; the 2×2 results of the chunk's tiles go to `scratch` as four rows
    /// (top left, top right, bottom left, bottom right), then into the output rows, cut at odd edges.
    private func transformOutput(_ products: UnsafePointer<Float>, tiles: Range<Int>, bias: UnsafePointer<Float>?,
                                 scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        typealias V8 = SIMD8<Float>
        let (O, H, W, stride, count) = (g.outChannels, g.height, g.width, rowStride, tiles.count)
        let plane = H * W, xiStride = productXiStride
        let (y00, y01, y10, y11) = (scratch, scratch + stride, scratch + 2 * stride, scratch + 3 * stride)
        for o in 0..<O {
            let m = products + o * stride
            let b = V8(repeating: bias?[o] ?? 0)
            for t in Swift.stride(from: 0, to: count, by: 8) {
                @inline(__always) func at(_ k: Int, _ l: Int) -> V8 { VectorMath.load(m + (4 * k + l) * xiStride + t) }
                // Aᵀ·m: two rows of four.
                let (m1, m2) = ((at(1, 0), at(1, 1), at(1, 2), at(1, 3)), (at(2, 0), at(2, 1), at(2, 2), at(2, 3)))
                let s0 = (at(0, 0) + m1.0 + m2.0, at(0, 1) + m1.1 + m2.1, at(0, 2) + m1.2 + m2.2, at(0, 3) + m1.3 + m2.3)
                let s1 = (m1.0 - m2.0 - at(3, 0), m1.1 - m2.1 - at(3, 1), m1.2 - m2.2 - at(3, 2), m1.3 - m2.3 - at(3, 3))
                VectorMath.store(s0.0 + s0.1 + s0.2 + b, y00 + t)
                VectorMath.store(s0.1 - s0.2 - s0.3 + b, y01 + t)
                VectorMath.store(s1.0 + s1.1 + s1.2 + b, y10 + t)
                VectorMath.store(s1.1 - s1.2 - s1.3 + b, y11 + t)
            }
            forEachTileRow(tiles) { image, ty, columns, local in
                let channel = output + (image * O + o) * plane
                @inline(__always) func write(row y: Int, _ left: UnsafePointer<Float>, _ right: UnsafePointer<Float>) {
                    guard y < H else { return }
                    let (row, l, r) = (channel + y * W, left + local - columns.lowerBound, right + local - columns.lowerBound)
                    // Whole pairs four at a time, then one by one; a last column past an odd width is dropped.
                    let pairs = columns.lowerBound..<min(columns.upperBound, W / 2)
                    var tx = pairs.lowerBound
                    while tx + 4 <= pairs.upperBound {
                        var both = SIMD8<Float>()
                        both.evenHalf = VectorMath.load(l + tx, as: SIMD4<Float>.self)
                        both.oddHalf = VectorMath.load(r + tx, as: SIMD4<Float>.self)
                        VectorMath.store(both, row + 2 * tx)
                        tx += 4
                    }
                    while tx < pairs.upperBound {
                        row[2 * tx] = l[tx]
                        row[2 * tx + 1] = r[tx]
                        tx += 1
                    }
                    if pairs.upperBound < columns.upperBound { row[2 * pairs.upperBound] = l[pairs.upperBound] }
                }
                write(row: 2 * ty, y00, y01)
                write(row: 2 * ty + 1, y10, y11)
            }
        }
    }

    /// gradients[ξ][o][t] = (A·dy·Aᵀ)[ξ] for the 2×2 output gradient block dy of channel o at each tile t of the
    /// chunk, zero past the image's edges; A = [[1, 0], [1, 1], [1, −1], [0, −1]] (the adjoint of
    /// `transformOutput`'s Aᵀ·m·A). Runs write up to 7 positions past their end, as in `transformInput`.
    private func transformOutputGradient(_ outputGrad: UnsafePointer<Float>, tiles: Range<Int>,
                                         into gradients: UnsafeMutablePointer<Float>) {
        typealias V8 = SIMD8<Float>
        let (O, H, W, stride, xiStride) = (g.outChannels, g.height, g.width, rowStride, productXiStride)
        let plane = H * W, lineLength = roundedUp(2 * tilesWide, to: 16) + 16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * lineLength) { buffer in
            let top = buffer.baseAddress!, bottom = top + lineLength
            // Columns past W stay zero.
            top.initialize(repeating: 0, count: 2 * lineLength)
            for o in 0..<O {
                forEachTileRow(tiles) { image, ty, columns, local in
                    let channel = outputGrad + (image * O + o) * plane
                    copyRow(from: channel + 2 * ty * W, to: top, count: W)
                    if 2 * ty + 1 < H {
                        copyRow(from: channel + (2 * ty + 1) * W, to: bottom, count: W)
                    } else {
                        bottom.update(repeating: 0, count: W)
                    }
                    let out = gradients + o * stride + local - columns.lowerBound
                    for tx in Swift.stride(from: columns.lowerBound, to: columns.upperBound, by: 8) {
                        let upper = VectorMath.load(top + 2 * tx, as: SIMD16<Float>.self)
                        let lower = VectorMath.load(bottom + 2 * tx, as: SIMD16<Float>.self)
                        // Row k of A·dy is (p, q) over the block's two columns; row k of A·dy·Aᵀ is (p, p + q, p − q, −q).
                        @inline(__always) func row(_ k: Int, _ p: V8, _ q: V8) {
                            let target = out + 4 * k * xiStride + tx
                            VectorMath.store(p, target)
                            VectorMath.store(p + q, target + xiStride)
                            VectorMath.store(p - q, target + 2 * xiStride)
                            VectorMath.store(-q, target + 3 * xiStride)
                        }
                        let (a, b, c, d) = (upper.evenHalf, upper.oddHalf, lower.evenHalf, lower.oddHalf)
                        row(0, a, b)
                        row(1, a + c, b + d)
                        row(2, a - c, b - d)
                        row(3, -c, -d)
                    }
                }
            }
        }
    }

    /// weightGrad[o, c] = Gᵀ·m·G for m = sums[·][o][c] (ξ-major, `sums[ξ·O·C + o·C + c]`): the adjoint of
    /// `transformWeights`' G·w·Gᵀ, Gᵀ = [[1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]].
    private func transformWeightGradient(_ sums: UnsafePointer<Float>, into weightGrad: UnsafeMutablePointer<Float>) {
        let pairs = g.outChannels * g.inChannels
        /// Gᵀ·u for four values u: three.
        @inline(__always) func drop(_ u: SIMD4<Float>) -> SIMD3<Float> {
            SIMD3(u[0] + (u[1] + u[2]) / 2, (u[1] - u[2]) / 2, (u[1] + u[2]) / 2 + u[3])
        }
        for pair in 0..<pairs {
            @inline(__always) func row(_ k: Int) -> SIMD4<Float> {
                let m = sums + 4 * k * pairs + pair
                return SIMD4(m[0], m[pairs], m[2 * pairs], m[3 * pairs])
            }
            // Row k of m·G is Gᵀ applied to row k of m; then column j of Gᵀ·(m·G).
            let (u0, u1, u2, u3) = (drop(row(0)), drop(row(1)), drop(row(2)), drop(row(3)))
            let w = weightGrad + pair * 9
            for j in 0..<3 {
                let column = drop(SIMD4(u0[j], u1[j], u2[j], u3[j]))
                for i in 0..<3 { w[3 * i + j] = column[i] }
            }
        }
    }
}
