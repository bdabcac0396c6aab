import CBLAS

/// Stride-1 convolutions with a column matrix a third (for 3x3) the size of im2col's.
///
/// Each image is zero-padded once to rows of width Wp. Every output row is computed across the full
/// padded width (columns past the output width are junk and dropped), so the input a kernel tap (i, j)
/// sees is one contiguous slice of the padded image: `padded[c, (h + i)·Wp + w + j]`. The column matrix
/// keeps one row per (channel, kernel row), `columns[(c, i), t] = padded[c, i·Wp + t]`, and kernel
/// column j reads it shifted by j: one GEMM per kernel column, accumulated. Neighbouring padded rows share
/// their padding (a row's right padding is the next row's left padding), so Wp = W + p. A few images
/// share each GEMM, each owning a block of `blockStride` columns.
struct Conv2DWide {
    let g: Conv2DGeometry
    let paddedWidth: Int
    /// Padded plane plus the `kernelWidth − 1` floats the last slice reads past it.
    let paddedPlane: Int
    /// Output pixels per image in the wide layout: outHeight · paddedWidth.
    let wideColumns: Int
    /// Columns per image in the column matrix: the wide outputs plus the reach of the kernel columns.
    let blockStride: Int
    /// Rows of the column matrix: one per (input channel, kernel row).
    let rows: Int
    /// Images per GEMM: as many as keep the column buffer near `columnBudget` floats (L2-sized).
    let imagesPerGEMM: Int

    static let columnBudget = 1 << 18

    init(_ g: Conv2DGeometry) {
        self.g = g
        // Sharing needs every output column to fit in a padded row (p ≤ kw − 1, true for "same" convs).
        paddedWidth = g.padding <= g.kernelWidth - 1 ? g.width + g.padding : g.width + 2 * g.padding
        paddedPlane = (g.height + 2 * g.padding) * paddedWidth + g.kernelWidth - 1
        wideColumns = g.outHeight * paddedWidth
        blockStride = wideColumns + g.kernelWidth - 1
        rows = g.inChannels * g.kernelHeight
        imagesPerGEMM = max(1, min(g.batch, Self.columnBudget / (rows * blockStride)))
    }

    /// Per-worker scratch: one padded image, the column matrix and the wide output of a group of images.
    final class Scratch {
        private let buffers: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)]
        let padded: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>, wide: UnsafeMutablePointer<Float>
        let paddedCount: Int

        init(_ plan: Conv2DWide) {
            paddedCount = plan.g.inChannels * plan.paddedPlane
            buffers = [paddedCount, plan.rows * plan.imagesPerGEMM * plan.blockStride,
                       plan.g.outChannels * plan.imagesPerGEMM * plan.blockStride].map(ScratchPool.take)
            (padded, columns, wide) = (buffers[0].pointer, buffers[1].pointer, buffers[2].pointer)
            padded.update(repeating: 0, count: paddedCount)
        }

        deinit { buffers.forEach(ScratchPool.give) }
    }

    /// The weight split by kernel column: `taps[j][o, (c, i)] = weight[o, c, i, j]`.
    func withTapWeights<R>(_ weight: UnsafePointer<Float>, _ body: (UnsafePointer<Float>) -> R) -> R {
        ScratchPool.withBuffer(g.weightCount) { taps in
            let (kh, kw) = (g.kernelHeight, g.kernelWidth)
            for o in 0..<g.outChannels {
                for c in 0..<g.inChannels {
                    for i in 0..<kh {
                        for j in 0..<kw {
                            taps[(j * g.outChannels + o) * rows + c * kh + i] = weight[((o * g.inChannels + c) * kh + i) * kw + j]
                        }
                    }
                }
            }
            return body(taps)
        }
    }

    /// `body(worker, scratch, firstImage, imageCount)` for each group of images of each worker's share.
    func forEachGroup(_ body: (Int, Scratch, Int, Int) -> Void) {
        KernelParallel.forEachChunk(g.batch) { worker, images in
            let scratch = Scratch(self)
            var first = images.lowerBound
            while first < images.upperBound {
                let count = min(imagesPerGEMM, images.upperBound - first)
                body(worker, scratch, first, count)
                first += count
            }
        }
    }

    /// Fills the column matrix of `count` images starting at `first` (column block k = image first + k).
    func buildColumns(input: UnsafePointer<Float>, first: Int, count: Int, scratch s: Scratch) {
        let stride = count * blockStride
        for k in 0..<count {
            let image = input + (first + k) * g.inChannels * g.inputPlane
            for c in 0..<g.inChannels {
                for h in 0..<g.height {
                    (s.padded + c * paddedPlane + (h + g.padding) * paddedWidth + g.padding)
                        .update(from: image + (c * g.height + h) * g.width, count: g.width)
                }
                for i in 0..<g.kernelHeight {
                    (s.columns + (c * g.kernelHeight + i) * stride + k * blockStride)
                        .update(from: s.padded + c * paddedPlane + i * paddedWidth, count: blockStride)
                }
            }
        }
    }

    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 output: UnsafeMutablePointer<Float>) {
        let outW = g.outWidth, plane = g.outputPlane, outC = g.outChannels
        withTapWeights(weight) { taps in
            forEachGroup { _, s, first, count in
                buildColumns(input: input, first: first, count: count, scratch: s)
                let stride = count * blockStride, n = stride - (g.kernelWidth - 1)
                for j in 0..<g.kernelWidth {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outC), Int32(n), Int32(rows),
                                1, taps + j * outC * rows, Int32(rows), s.columns + j, Int32(stride),
                                j == 0 ? 0 : 1, s.wide, Int32(stride))
                }
                for k in 0..<count {
                    for o in 0..<outC {
                        let source = s.wide + o * stride + k * blockStride
                        let target = output + ((first + k) * outC + o) * plane
                        let b = bias?[o] ?? 0
                        for h in 0..<g.outHeight {
                            let from = source + h * paddedWidth, to = target + h * outW
                            for w in 0..<outW { to[w] = from[w] + b }
                        }
                    }
                }
            }
        }
    }

    /// Same contract as `Conv2DKernels.backward`; `weightPartials`/`biasPartials` are per-worker sums.
    func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                  inputGrad: UnsafeMutablePointer<Float>?, weightPartials: UnsafeMutablePointer<Float>?,
                  biasPartials: UnsafeMutablePointer<Float>?) {
        let outW = g.outWidth, plane = g.outputPlane, outC = g.outChannels, kw = g.kernelWidth
        withTapWeights(weight) { taps in
            forEachGroup { worker, s, first, count in
                let stride = count * blockStride, n = stride - (kw - 1)
                // The output gradient in the wide layout, zero in the junk columns.
                for o in 0..<outC {
                    let target = s.wide + o * stride
                    target.update(repeating: 0, count: stride)
                    for k in 0..<count {
                        let source = outputGrad + ((first + k) * outC + o) * plane
                        if let biasPartials { biasPartials[worker * outC + o] += VectorMath.sum(source, count: plane) }
                        for h in 0..<g.outHeight {
                            (target + k * blockStride + h * paddedWidth).update(from: source + h * outW, count: outW)
                        }
                    }
                }
                if let weightPartials {
                    buildColumns(input: input, first: first, count: count, scratch: s)
                    accumulateWeightGradient(wideGrad: s.wide, columns: s.columns, stride: stride, n: n,
                                             into: weightPartials + worker * g.weightCount)
                }
                guard let inputGrad else { return }
                s.columns.update(repeating: 0, count: rows * stride)
                for j in 0..<kw {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(n), Int32(outC),
                                1, taps + j * outC * rows, Int32(rows), s.wide, Int32(stride), 1, s.columns + j, Int32(stride))
                }
                for k in 0..<count {
                    s.padded.update(repeating: 0, count: s.paddedCount)
                    for c in 0..<g.inChannels {
                        for i in 0..<g.kernelHeight {
                            let from = s.columns + (c * g.kernelHeight + i) * stride + k * blockStride
                            let to = s.padded + c * paddedPlane + i * paddedWidth
                            for t in 0..<blockStride { to[t] += from[t] }
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
                // buildColumns relies on zero padding around the interior.
                s.padded.update(repeating: 0, count: s.paddedCount)
            }
        }
    }

    /// weight[o, c, i, j] += Σ_t wideGrad[o, t] · columns[(c, i), t + j], one GEMM per kernel column.
    private func accumulateWeightGradient(wideGrad: UnsafePointer<Float>, columns: UnsafePointer<Float>,
                                          stride: Int, n: Int, into weightGrad: UnsafeMutablePointer<Float>) {
        let (kh, kw, outC) = (g.kernelHeight, g.kernelWidth, g.outChannels)
        ScratchPool.withBuffer(outC * rows) { tapGrad in
            for j in 0..<kw {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(outC), Int32(rows), Int32(n),
                            1, wideGrad, Int32(stride), columns + j, Int32(stride), 0, tapGrad, Int32(rows))
                for o in 0..<outC {
                    for c in 0..<g.inChannels {
                        for i in 0..<kh {
                            weightGrad[((o * g.inChannels + c) * kh + i) * kw + j] += tapGrad[o * rows + c * kh + i]
                        }
                    }
                }
            }
        }
    }
}
