import CBLAS

/// 3×3 stride-1 "same" convolutions by Winograd's minimal filtering F(m×m, 3×3) (Lavin & Gray 2016), m = 2 or 4:
/// each m×m block of outputs ("tile") is Aᵀ·[Σ_c (G·w[o,c]·Gᵀ) ⊙ (Bᵀ·d[c]·B)]·A, where d[c] is the tile's
/// (m+2)×(m+2) input patch. The sum over channels is (m+2)² independent products (one per point ξ of the
/// transformed patch) of transformed weights [O × C] by transformed inputs [C × tiles]: per output and channel
/// pair 4 multiplications for m = 2 and 2.25 for m = 4 where the direct convolution needs 9, run on the direct
/// convolution's register tiles. F(4×4) rounds a little more (its transforms have entries up to 8 and 1/24),
/// well inside float32 training's needs.
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
    /// m: the side of an output tile.
    let outputTile: Int
    let tilesHigh: Int
    let tilesWide: Int
    /// Output channels rounded up to whole register tiles.
    let paddedOutChannels: Int
    /// Tiles per chunk, a whole number of register tiles.
    let chunkTiles: Int
    /// (m + 2)²: the points ξ of a transformed patch.
    var pointCount: Int { (outputTile + 2) * (outputTile + 2) }
    /// Floats per row of the transformed inputs and products: a chunk and a vector of slack.
    var rowStride: Int { chunkTiles + 8 }
    /// Floats from one ξ's transformed inputs to the next's, and likewise for the products: a cache line more
    /// than their rows, so that the streams of a transform (often 4 KB multiples apart) fall in different
    /// L1 sets; without it the 64→64 convolution at 14×14 took 1.3× as long.
    var inputXiStride: Int { g.inChannels * rowStride + 16 }
    var productXiStride: Int { paddedOutChannels * rowStride + 16 }

    /// Whether `g` is a convolution this handles and gains from: a 3×3 kernel, stride 1, padding 1, and
    /// enough channels that the transforms cost little next to the products.
    static func handles(_ g: Conv2DGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1
            && g.inChannels >= 16 && g.outChannels >= 16
    }

    init(_ g: Conv2DGeometry, outputTile: Int) {
        precondition(Self.handles(g), "Conv2DWinograd: \(g)")
        precondition(outputTile == 2 || outputTile == 4, "Conv2DWinograd: F(\(outputTile)×\(outputTile), 3×3)")
        self.g = g
        self.outputTile = outputTile
        tilesHigh = (g.height + outputTile - 1) / outputTile
        tilesWide = (g.width + outputTile - 1) / outputTile
        paddedOutChannels = roundedUp(g.outChannels, to: Self.tileRows)
        let floatsPerTile = (outputTile + 2) * (outputTile + 2) * (g.inChannels + paddedOutChannels)
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
        let transformedCount = pointCount * inputXiStride, productCount = pointCount * productXiStride
        let scratchCount = outputTile * outputTile * rowStride + 24 * Vector.scalarCount
        ScratchPool.withBuffer(pointCount * paddedOutChannels * g.inChannels) { packed in
            transformWeights(weight, into: packed)
            let chunks = chunkCount
            let workers = min(Parallel.threads, chunks)
            let taken = (0..<workers).map { _ in ScratchPool.take(transformedCount + productCount + scratchCount) }
            defer { taken.forEach(ScratchPool.give) }
            Parallel.forEachDynamically(chunks) { worker, chunk in
                let transformed = taken[worker].pointer, products = transformed + transformedCount
                let tiles = self.tiles(ofChunk: chunk)
                let scratch = products + productCount
                if outputTile == 4 {
                    transformInputF4(input, tiles: tiles, into: transformed)
                    multiply(transformed, packed, count: tiles.count, into: products)
                    transformOutputF4(products, tiles: tiles, bias: bias, scratch: scratch, into: output)
                } else {
                    transformInput(input, tiles: tiles, into: transformed)
                    multiply(transformed, packed, count: tiles.count, into: products)
                    transformOutput(products, tiles: tiles, bias: bias, scratch: scratch, into: output)
                }
            }
        }
    }

    /// weightGrad[o, c] = Gᵀ·[Σ over images and tiles (A·dy[o]·Aᵀ) ⊙ (Bᵀ·d[c]·B)]·G, with dy the output
    /// gradient's m×m block at the tile (zero past the image's edge): the adjoint of `forward` in the weights.
    /// The (m+2)² sums over tiles are GEMMs [O × tiles]·[tiles × C], (m+2)² multiplications per tile and channel
    /// pair where the direct kernel's correlation needs 9m². Each worker sums a fixed share of the chunks and
    /// the shares are added in order, so the result does not depend on the schedule.
    func weightGradient(input: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                        into weightGrad: UnsafeMutablePointer<Float>) {
        let (C, O, points) = (g.inChannels, g.outChannels, pointCount)
        let sumCount = points * O * C, transformedCount = points * inputXiStride
        let chunks = chunkCount
        let workers = min(KernelParallel.workerCount, chunks)
        ScratchPool.withBuffer(workers * sumCount) { partials in
            partials.update(repeating: 0, count: workers * sumCount)
            KernelParallel.forEachWorkerChunk(chunks) { worker, share in
                let buffers = ScratchPool.take(transformedCount + points * productXiStride)
                defer { ScratchPool.give(buffers) }
                let transformed = buffers.pointer, gradients = transformed + transformedCount
                let sums = partials + worker * sumCount
                for chunk in share {
                    let tiles = self.tiles(ofChunk: chunk)
                    if outputTile == 4 {
                        transformInputF4(input, tiles: tiles, into: transformed)
                        transformOutputGradientF4(outputGrad, tiles: tiles, into: gradients)
                    } else {
                        transformInput(input, tiles: tiles, into: transformed)
                        transformOutputGradient(outputGrad, tiles: tiles, into: gradients)
                    }
                    for xi in 0..<points {
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

    /// The three columns of G, row k in lane k (zero past the last row).
    private var gColumns: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        typealias F8 = SIMD8<Float>
        if outputTile == 2 {
            return (F8(1, 0.5, 0.5, 0, 0, 0, 0, 0), F8(0, 0.5, -0.5, 0, 0, 0, 0, 0), F8(0, 0.5, 0.5, 1, 0, 0, 0, 0))
        }
        return (F8(0.25, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24, 0, 0, 0),
                F8(0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0, 0, 0),
                F8(0, -1.0 / 6, -1.0 / 6, 1.0 / 6, 1.0 / 6, 1, 0, 0))
    }

    /// packed[ξ][o][c] = (G·w[o, c]·Gᵀ)[ξ] in register-tile order: `packed[((ξ·blocks + block)·C + c)·rows + row]`,
    /// zero for output channels past the last. F(2×2): G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]];
    /// F(4×4): G = [[¼, 0, 0], [−⅙, −⅙, −⅙], [−⅙, ⅙, −⅙], [1/24, 1/12, ⅙], [1/24, −1/12, ⅙], [0, 0, 1]].
    private func transformWeights(_ weight: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        typealias F8 = SIMD8<Float>
        let (C, O, rows, n) = (g.inChannels, g.outChannels, Self.tileRows, outputTile + 2)
        let blocks = paddedOutChannels / rows
        let (g0, g1, g2) = gColumns
        packed.update(repeating: 0, count: pointCount * paddedOutChannels * C)
        let xiStep = blocks * C * rows
        KernelParallel.forEachChunk(O) { outputs in
            for o in outputs {
                let (block, row) = o.quotientAndRemainder(dividingBy: rows)
                for c in 0..<C {
                    let w = weight + (o * C + c) * 9
                    // Column j of G·w, row k in lane k.
                    @inline(__always) func column(_ j: Int) -> F8 { g0 * w[j] + g1 * w[3 + j] + g2 * w[6 + j] }
                    let (v0, v1, v2) = (column(0), column(1), column(2))
                    let target = packed + (block * C + c) * rows + row
                    for l in 0..<n {
                        // Column l of (G·w)·Gᵀ: (G·w)·(row l of G).
                        let u = v0 * g0[l] + v1 * g1[l] + v2 * g2[l]
                        for k in 0..<n { target[(n * k + l) * xiStep] = u[k] }
                    }
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
        let stride = rowStride, halves = roundedUp(tilesWide + 8, to: 8), paddedRows = 2 * tilesHigh + 2
        // evens[p][q] = padded row p (input row p − 1) at padded column 2q (input column 2q − 1), odds[p][q] at
        // 2q + 1; zeros outside the image. Split from the lines of `forEachInputTileRow` with vector shuffles.
        let lineLength = 2 * halves + 16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: (2 * halves + lineLength) * paddedRows) { buffer in
            let evens = buffer.baseAddress!, odds = evens + paddedRows * halves, lines = odds + paddedRows * halves
            forEachInputTileRow(input, tiles: tiles, lines: lines, lineLength: lineLength) { p, line in
                let (e, o) = (evens + p * halves, odds + p * halves)
                guard let line else {
                    e.update(repeating: 0, count: halves)
                    o.update(repeating: 0, count: halves)
                    return
                }
                for q in Swift.stride(from: 0, to: halves, by: 8) {
                    let pairs = VectorMath.load(line + 2 * q, as: SIMD16<Float>.self)
                    VectorMath.store(pairs.evenHalf, e + q)
                    VectorMath.store(pairs.oddHalf, o + q)
                }
            } body: { c, image, ty, columns, local in
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

    /// products[ξ][o][t] = Σ_c packed[ξ][o][c]·transformed[ξ][c][t], a register tile at a time (whole tiles, so
    /// up to a tile's worth of positions past `count` are computed from whatever the buffer holds and dropped).
    private func multiply(_ transformed: UnsafePointer<Float>, _ packed: UnsafePointer<Float>, count: Int,
                          into products: UnsafeMutablePointer<Float>) {
        let (C, rows, width, stride) = (g.inChannels, Self.tileRows, Self.tileWidth, rowStride)
        let blocks = paddedOutChannels / rows, step = Vector.scalarCount
        for xi in 0..<pointCount {
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

    /// For each input channel c and each tile row of the chunk: makes sure the padded rows the tile row reads
    /// (padded row p is input row p − 1) have been handed to `split`, then runs `body(c, image, ty, columns,
    /// local)` as `forEachTileRow` does. At a channel's first tile row in an image, the rows of all its tile
    /// rows in the chunk are copied into zero-padded lines (`lines + p·lineLength`, column 1 = input column 0;
    /// `lines` holds (m·tilesHigh + 2)·lineLength floats) and then each goes to `split(p, line)`, nil for rows
    /// outside the image. Every row is copied before any is split: a vector load of floats just stored by
    /// narrower stores stalls (store forwarding fails).
    @inline(__always)
    private func forEachInputTileRow(_ input: UnsafePointer<Float>, tiles: Range<Int>, lines: UnsafeMutablePointer<Float>,
                                     lineLength: Int, split: (_ row: Int, _ line: UnsafePointer<Float>?) -> Void,
                                     body: (_ c: Int, _ image: Int, _ ty: Int, _ columns: Range<Int>, _ local: Int) -> Void) {
        let (C, H, W, m) = (g.inChannels, g.height, g.width, outputTile)
        // Columns outside 1…W of every line stay zero.
        lines.initialize(repeating: 0, count: lineLength * (m * tilesHigh + 2))
        for c in 0..<C {
            var prepared = (image: -1, rows: 0..<0)
            forEachTileRow(tiles) { image, ty, columns, local in
                if prepared.image != image || !prepared.rows.contains(m * ty + m + 1) {
                    let lastTileRow = min(tilesHigh - 1, ty + (tiles.upperBound - 1 - (image * tilesHigh + ty) * tilesWide) / tilesWide)
                    let rows = (m * ty)..<(m * lastTileRow + m + 2)
                    let imageRows = max(1, rows.lowerBound)..<min(H + 1, rows.upperBound)
                    let channel = input + (image * C + c) * H * W
                    for p in imageRows { copyRow(from: channel + (p - 1) * W, to: lines + p * lineLength + 1, count: W) }
                    for p in rows { split(p, imageRows.contains(p) ? UnsafePointer(lines + p * lineLength) : nil) }
                    prepared = (image, rows)
                }
                body(c, image, ty, columns, local)
            }
        }
    }

    /// phases[k·phaseStride + q] = line[4q + k] for k < 4, q < count (a multiple of 8), by vector shuffles.
    @inline(__always)
    private static func splitPhases(_ line: UnsafePointer<Float>, into phases: UnsafeMutablePointer<Float>, phaseStride: Int, count: Int) {
        for q in Swift.stride(from: 0, to: count, by: 8) {
            let quads = VectorMath.load(line + 4 * q, as: SIMD32<Float>.self)
            let (evens, odds) = (quads.evenHalf, quads.oddHalf)
            VectorMath.store(evens.evenHalf, phases + q)
            VectorMath.store(odds.evenHalf, phases + phaseStride + q)
            VectorMath.store(evens.oddHalf, phases + 2 * phaseStride + q)
            VectorMath.store(odds.oddHalf, phases + 3 * phaseStride + q)
        }
    }

    // MARK: F(4×4, 3×3)

    /// Bᵀ·d for six values d (a patch row or column), Bᵀ = [[4, 0, −5, 0, 1, 0], [0, −4, −4, 1, 1, 0],
    /// [0, 4, −4, −1, 1, 0], [0, −2, −1, 2, 1, 0], [0, 2, −1, −2, 1, 0], [0, 4, 0, −5, 0, 1]].
    @inline(__always)
    private static func inputRowsF4(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>, _ d3: SIMD8<Float>,
                                    _ d4: SIMD8<Float>, _ d5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let (a, b) = (d4 - 4 * d2, d3 - 4 * d1)
        let (c, e) = (d4 - d2, 2 * (d3 - d1))
        return (4 * d0 - 5 * d2 + d4, a + b, a - b, c + e, c - e, 4 * d1 - 5 * d3 + d5)
    }

    /// Aᵀ·m for six values m, Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0], [0, 1, 1, 4, 4, 0], [0, 1, −1, 8, −8, 1]].
    @inline(__always)
    private static func outputRowsF4(_ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>,
                                     _ m4: SIMD8<Float>, _ m5: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let (s12, d12, s34, d34) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4)
        return (m0 + s12 + s34, d12 + 2 * d34, s12 + 4 * s34, d12 + 8 * d34 + m5)
    }

    /// transformed[ξ][c][t] = (Bᵀ·d·B)[ξ], ξ = 6k + l, for the 6×6 zero-padded input patch d of channel c at each
    /// tile t of the chunk. As in `transformInput`, the chunk's padded rows are copied into zero-padded lines first,
    /// then split by column modulo 4 into four phases, so that a patch's six columns are vectors over 8 consecutive
    /// tiles (phases 0–3 at the tile, 0–1 at the next). Bᵀ goes over each patch row into `rows` (36 vectors), then
    /// over their columns into `transformed`; runs write up to 7 positions past their end, as in `transformInput`.
    private func transformInputF4(_ input: UnsafePointer<Float>, tiles: Range<Int>, into transformed: UnsafeMutablePointer<Float>) {
        typealias V8 = SIMD8<Float>
        let (stride, xiStride) = (rowStride, inputXiStride)
        let quarters = roundedUp(tilesWide + 9, to: 8), paddedRows = 4 * tilesHigh + 2
        // Phase k of padded row p (input row p − 1) at phases + k·phaseStride + p·quarters; its entry q is padded
        // column 4q + k (input column 4q + k − 1).
        let phaseStride = paddedRows * quarters, lineLength = 4 * quarters + 32
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * phaseStride + lineLength * paddedRows + 36 * 8) { buffer in
            let phases = buffer.baseAddress!, lines = phases + 4 * phaseStride, rows = lines + lineLength * paddedRows
            forEachInputTileRow(input, tiles: tiles, lines: lines, lineLength: lineLength) { p, line in
                let target = phases + p * quarters
                guard let line else {
                    for k in 0..<4 { (target + k * phaseStride).update(repeating: 0, count: quarters) }
                    return
                }
                Self.splitPhases(line, into: target, phaseStride: phaseStride, count: quarters)
            } body: { c, image, ty, columns, local in
                let top = phases + 4 * ty * quarters
                let out = transformed + c * stride + local - columns.lowerBound
                for tx in Swift.stride(from: columns.lowerBound, to: columns.upperBound, by: 8) {
                    for i in 0..<6 {
                        let d = top + i * quarters + tx
                        let r = Self.inputRowsF4(VectorMath.load(d), VectorMath.load(d + phaseStride),
                                                 VectorMath.load(d + 2 * phaseStride), VectorMath.load(d + 3 * phaseStride),
                                                 VectorMath.load(d + 1), VectorMath.load(d + phaseStride + 1))
                        let row = rows + 48 * i
                        VectorMath.store(r.0, row); VectorMath.store(r.1, row + 8); VectorMath.store(r.2, row + 16)
                        VectorMath.store(r.3, row + 24); VectorMath.store(r.4, row + 32); VectorMath.store(r.5, row + 40)
                    }
                    for l in 0..<6 {
                        @inline(__always) func at(_ i: Int) -> V8 { VectorMath.load(rows + 48 * i + 8 * l) }
                        let r = Self.inputRowsF4(at(0), at(1), at(2), at(3), at(4), at(5))
                        let target = out + l * xiStride + tx
                        VectorMath.store(r.0, target); VectorMath.store(r.1, target + 6 * xiStride)
                        VectorMath.store(r.2, target + 12 * xiStride); VectorMath.store(r.3, target + 18 * xiStride)
                        VectorMath.store(r.4, target + 24 * xiStride); VectorMath.store(r.5, target + 30 * xiStride)
                    }
                }
            }
        }
    }

    /// output tile = Aᵀ·m·A + bias for each output channel and tile, m = products[·][o][t] (6×6, ξ = 6k + l):
    /// Aᵀ over m's columns into `scratch`'s 24 vectors, then over their rows into 16 rows of `scratch` (output
    /// row 4ty + k, column 4tx + l at row 4k + l), then interleaved into the output rows, cut at the edges.
    private func transformOutputF4(_ products: UnsafePointer<Float>, tiles: Range<Int>, bias: UnsafePointer<Float>?,
                                   scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        typealias V8 = SIMD8<Float>
        let (O, H, W, stride, count) = (g.outChannels, g.height, g.width, rowStride, tiles.count)
        let plane = H * W, xiStride = productXiStride
        let results = scratch, columnSums = scratch + 16 * stride
        for o in 0..<O {
            let m = products + o * stride
            let b = V8(repeating: bias?[o] ?? 0)
            for t in Swift.stride(from: 0, to: count, by: 8) {
                for l in 0..<6 {
                    @inline(__always) func at(_ k: Int) -> V8 { VectorMath.load(m + (6 * k + l) * xiStride + t) }
                    let s = Self.outputRowsF4(at(0), at(1), at(2), at(3), at(4), at(5))
                    let target = columnSums + 8 * l
                    VectorMath.store(s.0, target); VectorMath.store(s.1, target + 48)
                    VectorMath.store(s.2, target + 96); VectorMath.store(s.3, target + 144)
                }
                for k in 0..<4 {
                    @inline(__always) func at(_ l: Int) -> V8 { VectorMath.load(columnSums + 48 * k + 8 * l) }
                    let y = Self.outputRowsF4(at(0), at(1), at(2), at(3), at(4), at(5))
                    let target = results + 4 * k * stride + t
                    VectorMath.store(y.0 + b, target); VectorMath.store(y.1 + b, target + stride)
                    VectorMath.store(y.2 + b, target + 2 * stride); VectorMath.store(y.3 + b, target + 3 * stride)
                }
            }
            forEachTileRow(tiles) { image, ty, columns, local in
                let channel = output + (image * O + o) * plane
                for k in 0..<min(4, H - 4 * ty) {
                    let row = channel + (4 * ty + k) * W
                    let first = results + local - columns.lowerBound
                    @inline(__always) func phase(_ l: Int) -> UnsafePointer<Float> { UnsafePointer(first + (4 * k + l) * stride) }
                    let (p0, p1, p2, p3) = (phase(0), phase(1), phase(2), phase(3))
                    // Whole tiles four at a time, then one by one; the columns of a last tile past the edge are dropped.
                    let whole = columns.lowerBound..<min(columns.upperBound, W / 4)
                    var tx = whole.lowerBound
                    while tx + 4 <= whole.upperBound {
                        var evens = V8(), odds = V8(), all = SIMD16<Float>()
                        evens.evenHalf = VectorMath.load(p0 + tx, as: SIMD4<Float>.self)
                        evens.oddHalf = VectorMath.load(p2 + tx, as: SIMD4<Float>.self)
                        odds.evenHalf = VectorMath.load(p1 + tx, as: SIMD4<Float>.self)
                        odds.oddHalf = VectorMath.load(p3 + tx, as: SIMD4<Float>.self)
                        all.evenHalf = evens
                        all.oddHalf = odds
                        VectorMath.store(all, row + 4 * tx)
                        tx += 4
                    }
                    while tx < columns.upperBound {
                        let values = (p0[tx], p1[tx], p2[tx], p3[tx])
                        let x = 4 * tx
                        row[x] = values.0
                        if x + 1 < W { row[x + 1] = values.1 }
                        if x + 2 < W { row[x + 2] = values.2 }
                        if x + 3 < W { row[x + 3] = values.3 }
                        tx += 1
                    }
                }
            }
        }
    }

    /// A·v for four values v, A = [[1, 0, 0, 0], [1, 1, 1, 1], [1, −1, 1, −1], [1, 2, 4, 8], [1, −2, 4, −8],
    /// [0, 0, 0, 1]] (the transpose of `outputRowsF4`' Aᵀ).
    @inline(__always)
    private static func gradientRowsF4(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let (s02, s13) = (v0 + v2, v1 + v3)
        let (near, far) = (v0 + 4 * v2, 2 * (v1 + 4 * v3))
        return (v0, s02 + s13, s02 - s13, near + far, near - far, v3)
    }

    /// gradients[ξ][o][t] = (A·dy·Aᵀ)[ξ], ξ = 6k + l, for the 4×4 output gradient block dy of channel o at each tile
    /// t of the chunk, zero past the image's edges: the adjoint of `transformOutputF4`. The block's four rows are
    /// copied into zero-padded lines and then split into phases as in `transformInputF4`; runs write up to 7
    /// positions past their end.
    private func transformOutputGradientF4(_ outputGrad: UnsafePointer<Float>, tiles: Range<Int>,
                                           into gradients: UnsafeMutablePointer<Float>) {
        let (O, H, W, stride, xiStride) = (g.outChannels, g.height, g.width, rowStride, productXiStride)
        let plane = H * W, quarters = roundedUp(tilesWide + 8, to: 8), lineLength = 4 * quarters + 32
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * lineLength + 16 * quarters + 4 * 48) { buffer in
            let lines = buffer.baseAddress!, phases = lines + 4 * lineLength, rows = phases + 16 * quarters
            // Columns past W stay zero.
            lines.initialize(repeating: 0, count: 4 * lineLength)
            for o in 0..<O {
                forEachTileRow(tiles) { image, ty, columns, local in
                    let channel = outputGrad + (image * O + o) * plane
                    for i in 0..<4 {
                        let y = 4 * ty + i
                        if y < H {
                            copyRow(from: channel + y * W, to: lines + i * lineLength, count: W)
                        } else {
                            (lines + i * lineLength).update(repeating: 0, count: W)
                        }
                    }
                    for i in 0..<4 {
                        Self.splitPhases(lines + i * lineLength, into: phases + 4 * i * quarters, phaseStride: quarters, count: quarters)
                    }
                    let out = gradients + o * stride + local - columns.lowerBound
                    for tx in Swift.stride(from: columns.lowerBound, to: columns.upperBound, by: 8) {
                        for i in 0..<4 {
                            // Row i of dy·Aᵀ.
                            let p = phases + 4 * i * quarters + tx
                            let r = Self.gradientRowsF4(VectorMath.load(p), VectorMath.load(p + quarters),
                                                        VectorMath.load(p + 2 * quarters), VectorMath.load(p + 3 * quarters))
                            let row = rows + 48 * i
                            VectorMath.store(r.0, row); VectorMath.store(r.1, row + 8); VectorMath.store(r.2, row + 16)
                            VectorMath.store(r.3, row + 24); VectorMath.store(r.4, row + 32); VectorMath.store(r.5, row + 40)
                        }
                        for l in 0..<6 {
                            @inline(__always) func at(_ i: Int) -> SIMD8<Float> { VectorMath.load(rows + 48 * i + 8 * l) }
                            let r = Self.gradientRowsF4(at(0), at(1), at(2), at(3))
                            let target = out + l * xiStride + tx
                            VectorMath.store(r.0, target); VectorMath.store(r.1, target + 6 * xiStride)
                            VectorMath.store(r.2, target + 12 * xiStride); VectorMath.store(r.3, target + 18 * xiStride)
                            VectorMath.store(r.4, target + 24 * xiStride); VectorMath.store(r.5, target + 30 * xiStride)
                        }
                    }
                }
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

    /// weightGrad[o, c] = Gᵀ·m·G for m = sums[·][o][c] (ξ-major, `sums[ξ·O·C + o·C + c]`): the adjoint
    /// of `transformWeights`' G·w·Gᵀ.
    private func transformWeightGradient(_ sums: UnsafePointer<Float>, into weightGrad: UnsafeMutablePointer<Float>) {
        typealias F8 = SIMD8<Float>
        let (pairs, n) = (g.outChannels * g.inChannels, outputTile + 2)
        let (g0, g1, g2) = gColumns
        KernelParallel.forEachChunk(pairs) { range in
            for pair in range {
                // Column j of m·G, row k in lane k: Σ_l m[k][l]·G[l][j].
                var (t0, t1, t2) = (F8(), F8(), F8())
                for l in 0..<n {
                    var column = F8()
                    for k in 0..<n { column[k] = sums[(n * k + l) * pairs + pair] }
                    t0 += column * g0[l]
                    t1 += column * g1[l]
                    t2 += column * g2[l]
                }
                // (Gᵀ·m·G)[i][j] = column i of G · column j of m·G.
                let w = weightGrad + pair * 9
                @inline(__always) func row(_ i: Int, _ gi: F8) {
                    w[3 * i] = (gi * t0).sum()
                    w[3 * i + 1] = (gi * t1).sum()
                    w[3 * i + 2] = (gi * t2).sum()
                }
                row(0, g0)
                row(1, g1)
                row(2, g2)
            }
        }
    }
}
