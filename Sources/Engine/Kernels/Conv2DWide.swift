import CBLAS

/// Stride-1 convolutions without per-pixel im2col bookkeeping. Each image is zero-padded once; an output
/// row is then computed across the full padded width Wp (columns past the output width are junk and
/// dropped), which makes every column-matrix row one contiguous slice of the padded image:
/// `columns[(c, i, j), h·Wp + w] = padded[c, (h + i)·Wp + (w + j)]`. Neighbouring rows share their
/// padding (a row's right padding is the next row's left padding), so Wp = W + p and only p/W of the
/// GEMM is wasted. A few images share one GEMM.
struct Conv2DWide {
    let g: Conv2DGeometry
    let paddedWidth: Int
    /// Padded plane plus the `kernelWidth − 1` floats the last slice reads past it.
    let paddedPlane: Int
    /// Output pixels per image in the wide layout: outHeight · paddedWidth.
    let wideColumns: Int
    /// Images per GEMM: as many as keep the column buffer near `columnBudget` floats (L2-sized).
    let imagesPerGEMM: Int

    static let columnBudget = 1 << 19

    init(_ g: Conv2DGeometry) {
        self.g = g
        // Sharing needs every output column to fit in a padded row (p ≤ kw − 1, true for "same" convs).
        paddedWidth = g.padding <= g.kernelWidth - 1 ? g.width + g.padding : g.width + 2 * g.padding
        paddedPlane = (g.height + 2 * g.padding) * paddedWidth + g.kernelWidth - 1
        wideColumns = g.outHeight * paddedWidth
        imagesPerGEMM = max(1, min(g.batch, Self.columnBudget / (g.patchSize * wideColumns)))
    }

    /// Per-worker scratch: one padded image, the column matrix and the wide output of a group of images.
    final class Scratch {
        private let buffers: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)]
        let padded: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>, wide: UnsafeMutablePointer<Float>
        let paddedCount: Int

        init(_ plan: Conv2DWide) {
            paddedCount = plan.g.inChannels * plan.paddedPlane
            buffers = [paddedCount, plan.g.patchSize * plan.imagesPerGEMM * plan.wideColumns,
                       plan.g.outChannels * plan.imagesPerGEMM * plan.wideColumns].map(ScratchPool.take)
            (padded, columns, wide) = (buffers[0].pointer, buffers[1].pointer, buffers[2].pointer)
            padded.update(repeating: 0, count: paddedCount)
        }

        deinit { buffers.forEach(ScratchPool.give) }
    }

    /// Calls `body(scratch, firstImage, imageCount)` for each group of images of each worker's share of the batch.
    func forEachGroup(_ body: (Scratch, Int, Int) -> Void) {
        KernelParallel.forEachChunk(g.batch) { _, images in
            let scratch = Scratch(self)
            var first = images.lowerBound
            while first < images.upperBound {
                let count = min(imagesPerGEMM, images.upperBound - first)
                body(scratch, first, count)
                first += count
            }
        }
    }

    /// Fills the column matrix of `count` images starting at `first` (column block k = image first + k).
    func buildColumns(input: UnsafePointer<Float>, first: Int, count: Int, scratch s: Scratch) {
        let stride = count * wideColumns
        for k in 0..<count {
            let image = input + (first + k) * g.inChannels * g.inputPlane
            for c in 0..<g.inChannels {
                for h in 0..<g.height {
                    (s.padded + c * paddedPlane + (h + g.padding) * paddedWidth + g.padding)
                        .update(from: image + (c * g.height + h) * g.width, count: g.width)
                }
            }
            var row = 0
            for c in 0..<g.inChannels {
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        (s.columns + row * stride + k * wideColumns)
                            .update(from: s.padded + c * paddedPlane + i * paddedWidth + j, count: wideColumns)
                        row += 1
                    }
                }
            }
        }
    }

    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 output: UnsafeMutablePointer<Float>) {
        let outW = g.outWidth, plane = g.outputPlane
        forEachGroup { s, first, count in
            buildColumns(input: input, first: first, count: count, scratch: s)
            let n = count * wideColumns
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(g.outChannels), Int32(n), Int32(g.patchSize),
                        1, weight, Int32(g.patchSize), s.columns, Int32(n), 0, s.wide, Int32(n))
            for k in 0..<count {
                for o in 0..<g.outChannels {
                    let source = s.wide + o * n + k * wideColumns
                    let target = output + ((first + k) * g.outChannels + o) * plane
                    let b = bias?[o] ?? 0
                    for h in 0..<g.outHeight {
                        let from = source + h * paddedWidth, to = target + h * outW
                        for w in 0..<outW { to[w] = from[w] + b }
                    }
                }
            }
        }
    }

    /// Same contract as `Conv2DKernels.backward`; `weightPartials`/`biasPartials` are per-worker sums.
    func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                  inputGrad: UnsafeMutablePointer<Float>?, weightPartials: UnsafeMutablePointer<Float>?,
                  biasPartials: UnsafeMutablePointer<Float>?) {
        let outW = g.outWidth, plane = g.outputPlane, outC = g.outChannels, patch = g.patchSize
        KernelParallel.forEachChunk(g.batch) { worker, images in
            let s = Scratch(self)
            var first = images.lowerBound
            while first < images.upperBound {
                let count = min(imagesPerGEMM, images.upperBound - first)
                defer { first += count }
                let n = count * wideColumns
                // The output gradient in the wide layout, zero in the junk columns.
                for k in 0..<count {
                    for o in 0..<outC {
                        let source = outputGrad + ((first + k) * outC + o) * plane
                        let target = s.wide + o * n + k * wideColumns
                        if let biasPartials { biasPartials[worker * outC + o] += VectorMath.sum(source, count: plane) }
                        for h in 0..<g.outHeight {
                            let to = target + h * paddedWidth
                            to.update(from: source + h * outW, count: outW)
                            (to + outW).update(repeating: 0, count: paddedWidth - outW)
                        }
                    }
                }
                if let weightPartials {
                    buildColumns(input: input, first: first, count: count, scratch: s)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(outC), Int32(patch), Int32(n),
                                1, s.wide, Int32(n), s.columns, Int32(n), 1, weightPartials + worker * g.weightCount, Int32(patch))
                }
                guard let inputGrad else { continue }
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(patch), Int32(n), Int32(outC),
                            1, weight, Int32(patch), s.wide, Int32(n), 0, s.columns, Int32(n))
                for k in 0..<count {
                    s.padded.update(repeating: 0, count: s.paddedCount)
                    var row = 0
                    for c in 0..<g.inChannels {
                        for i in 0..<g.kernelHeight {
                            for j in 0..<g.kernelWidth {
                                let from = s.columns + row * n + k * wideColumns
                                let to = s.padded + c * paddedPlane + i * paddedWidth + j
                                for t in 0..<wideColumns { to[t] += from[t] }
                                row += 1
                            }
                        }
                    }
                    let image = inputGrad + (first + k) * g.inChannels * g.inputPlane
                    for c in 0..<g.inChannels {
                        for h in 0..<g.height {
                            (image + (c * g.height + h) * g.width)
                                .update(from: s.padded + c * paddedPlane + (h + g.padding) * paddedWidth + g.padding, count: g.width)
                        }
                    }
                }
                // The padded buffer must be zero outside the interior for the next buildColumns.
                s.padded.update(repeating: 0, count: s.paddedCount)
            }
        }
    }
}
