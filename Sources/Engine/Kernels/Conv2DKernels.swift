import CBLAS

/// Convolution over channels-first images as GEMMs, `output_n[O, P] = weight[O, C·kh·kw] · columns_n[C·kh·kw, P]`
/// (P = output pixels), or without GEMMs: 1x1 stride-1 convolutions multiply the image itself; 3×3 "same"
/// convolutions with 16+ channels (and their input and weight gradients) go through `Conv2DWinograd` where it is
/// enabled; the others run `Conv2DDirect`'s register tiles over zero-padded images, except for a strided
/// convolution's input gradient and strides wider than the kernel, which use im2col per image. Images are split over the
/// workers, each with its own scratch and single-threaded BLAS.
public enum Conv2DKernels {
    /// Whether 3×3 "same" convolutions with 16+ channels go through `Conv2DWinograd`. Measured on a Zen 3
    /// VM (AVX2): the decoder forward in 0.75× the direct kernel's time. With AVX-512's wider direct tiles an
    /// earlier Winograd kernel was no faster (docs/PERFORMANCE.md), and this one is unmeasured there, so
    /// those builds keep the direct kernel. `lzn-bench --winograd` sets it to compare both; tests switch it
    /// on to check the kernel on every CPU.
    #if LZN_AVX512
    nonisolated(unsafe) public static var usesWinograd = false
    #else
    nonisolated(unsafe) public static var usesWinograd = true
    #endif

    /// The largest output tile side m of Winograd's F(m×m, 3×3): 4 or 2.
    /// F(4×4) needs 2.25 products per output and channel pair where F(2×2) needs 4, so it is used where its
    /// tile rows have 7 tiles or more (28×28 here: 15–20% faster than F(2×2)). At 14×14 and 7×7 its few chunks
    /// of tiles left the cores waiting, and it ran 10–25% slower (also with images laid side by side to
    /// fill its vectors; docs/PERFORMANCE.md). Weight gradients take the same tile.
    nonisolated(unsafe) public static var winogradTile = 4

    /// F(4×4) tile rows shorter than this run F(2×2) instead (tests set 1 to check F(4×4) at every shape).
    nonisolated(unsafe) static var shortestF4TileRow = 7

    /// Winograd's output tile side for `g`'s forward and weight gradient, and for the input gradient when `g` is
    /// its transposed convolution (see `winogradTile`).
    static func tileSide(for g: Conv2DGeometry) -> Int {
        winogradTile == 4 && (g.width + 3) / 4 >= shortestF4TileRow ? 4 : 2
    }

    /// Writes `output` (`geometry.outputCount` floats); `bias` has `outChannels` floats when given.
    public static func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>, geometry g: Conv2DGeometry) {
        if usesWinograd && Conv2DWinograd.handles(g) {
            Conv2DWinograd(g, outputTile: tileSide(for: g)).forward(input: input, weight: weight, bias: bias, output: output)
            return
        }
        if !g.isPointwise && Conv2DDirect.handles(g) {
            Conv2DDirect(g).forward(input: input, weight: weight, bias: bias, output: output)
            return
        }
        let patch = g.patchSize, plane = g.outputPlane
        let inputStride = g.inChannels * g.inputPlane, outputStride = g.outChannels * plane
        KernelParallel.forEachChunk(g.batch) { images in
            let scratch = g.isPointwise ? nil : ScratchPool.take(patch * plane)
            defer { scratch.map(ScratchPool.give) }
            let columns = scratch?.pointer
            for n in images {
                let out = output + n * outputStride
                if let bias {
                    for o in 0..<g.outChannels { (out + o * plane).update(repeating: bias[o], count: plane) }
                }
                let rhs: UnsafePointer<Float>
                if let columns {
                    g.im2col(image: input + n * inputStride, columns: columns)
                    rhs = UnsafePointer(columns)
                } else {
                    rhs = input + n * inputStride
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(g.outChannels), Int32(plane), Int32(patch),
                            1, weight, Int32(patch), rhs, Int32(plane), bias == nil ? 0 : 1, out, Int32(plane))
            }
        }
    }

    /// Gradients of the convolution given the output's gradient. Each requested gradient is overwritten
    /// (not accumulated): `inputGrad` has `inputCount` floats, `weightGrad` `weightCount`, `biasGrad` `outChannels`.
    public static func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                outputGrad: UnsafePointer<Float>, geometry g: Conv2DGeometry,
                                inputGrad: UnsafeMutablePointer<Float>?, weightGrad: UnsafeMutablePointer<Float>?,
                                biasGrad: UnsafeMutablePointer<Float>?) {
        if !g.isPointwise && Conv2DDirect.handles(g) {
            directBackward(input: input, weight: weight, outputGrad: outputGrad, geometry: g, inputGrad: inputGrad,
                           weightGrad: weightGrad, biasGrad: biasGrad)
            return
        }
        // Per-worker partial sums of the weight and bias gradients, reduced in order after the parallel pass.
        let workers = KernelParallel.workerCount, outC = g.outChannels
        let weightScratch = weightGrad == nil ? nil : ScratchPool.take(workers * g.weightCount)
        let biasScratch = biasGrad == nil ? nil : ScratchPool.take(workers * outC)
        defer { weightScratch.map(ScratchPool.give); biasScratch.map(ScratchPool.give) }
        let weightPartials = weightScratch?.pointer, biasPartials = biasScratch?.pointer
        weightPartials?.update(repeating: 0, count: workers * g.weightCount)
        biasPartials?.update(repeating: 0, count: workers * outC)
        perImageBackward(input: input, weight: weight, outputGrad: outputGrad, geometry: g, inputGrad: inputGrad,
                         weightPartials: weightPartials, biasPartials: biasPartials)
        if let weightGrad, let weightPartials { sumPartials(weightPartials, parts: workers, count: g.weightCount, into: weightGrad) }
        if let biasGrad, let biasPartials { sumPartials(biasPartials, parts: workers, count: outC, into: biasGrad) }
    }

    /// Gradients through `Conv2DWinograd` where it is switched on and handles them, else `Conv2DDirect`; an
    /// input gradient neither can take (strided, non-square kernel, padding ≥ kernel) goes through im2col.
    private static func directBackward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                       outputGrad: UnsafePointer<Float>, geometry g: Conv2DGeometry,
                                       inputGrad: UnsafeMutablePointer<Float>?, weightGrad: UnsafeMutablePointer<Float>?,
                                       biasGrad: UnsafeMutablePointer<Float>?) {
        let direct = Conv2DDirect(g)
        var (inputGrad, weightGrad) = (inputGrad, weightGrad)
        if let target = inputGrad, direct.hasDirectInputGradient, usesWinograd,
           Conv2DWinograd.handles(direct.transposed) {
            ScratchPool.withBuffer(g.weightCount) { flipped in
                direct.flippedTransposedWeights(weight, into: flipped)
                let transposed = direct.transposed
                Conv2DWinograd(transposed, outputTile: tileSide(for: transposed)).forward(input: outputGrad, weight: flipped, bias: nil, output: target)
            }
            inputGrad = nil
        }
        if let target = weightGrad, usesWinograd, Conv2DWinograd.handles(g) {
            Conv2DWinograd(g, outputTile: tileSide(for: g)).weightGradient(input: input, outputGrad: outputGrad, into: target)
            weightGrad = nil
        }
        let directInputGrad = inputGrad != nil && direct.hasDirectInputGradient
        if weightGrad != nil || directInputGrad {
            direct.backward(input: input, weight: weight, outputGrad: outputGrad,
                            inputGrad: directInputGrad ? inputGrad : nil, weightGrad: weightGrad, biasGrad: biasGrad)
        } else if let biasGrad {
            sumPlanes(outputGrad, geometry: g, into: biasGrad)
        }
        if let inputGrad, !directInputGrad {
            perImageBackward(input: input, weight: weight, outputGrad: outputGrad, geometry: g, inputGrad: inputGrad,
                             weightPartials: nil, biasPartials: nil)
        }
    }

    private static func perImageBackward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                         outputGrad: UnsafePointer<Float>, geometry g: Conv2DGeometry,
                                         inputGrad: UnsafeMutablePointer<Float>?, weightPartials: UnsafeMutablePointer<Float>?,
                                         biasPartials: UnsafeMutablePointer<Float>?) {
        let patch = g.patchSize, plane = g.outputPlane, outC = g.outChannels
        let inputStride = g.inChannels * g.inputPlane, outputStride = outC * plane
        KernelParallel.forEachWorkerChunk(g.batch) { worker, images in
            let scratch = g.isPointwise ? nil : ScratchPool.take(patch * plane)
            defer { scratch.map(ScratchPool.give) }
            let columns = scratch?.pointer
            for n in images {
                let image = input + n * inputStride
                let gradOut = outputGrad + n * outputStride
                if let biasPartials {
                    let partial = biasPartials + worker * outC
                    for o in 0..<outC { partial[o] += VectorMath.sum(gradOut + o * plane, count: plane) }
                }
                if let weightPartials {
                    let rhs: UnsafePointer<Float>
                    if let columns {
                        g.im2col(image: image, columns: columns)
                        rhs = UnsafePointer(columns)
                    } else {
                        rhs = image
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(outC), Int32(patch), Int32(plane),
                                1, gradOut, Int32(plane), rhs, Int32(plane), 1,
                                weightPartials + worker * g.weightCount, Int32(patch))
                }
                if let inputGrad {
                    let gradImage = inputGrad + n * inputStride
                    // Pointwise: the column gradient is the image gradient itself.
                    let target = columns ?? gradImage
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(patch), Int32(plane), Int32(outC),
                                1, weight, Int32(patch), gradOut, Int32(plane), 0, target, Int32(plane))
                    if let columns {
                        gradImage.update(repeating: 0, count: inputStride)
                        g.col2imAccumulate(columns: columns, image: gradImage)
                    }
                }
            }
        }
    }

    /// sums[o] = Σ over images and pixels of outputGrad[n, o, ·] (the bias gradient).
    private static func sumPlanes(_ outputGrad: UnsafePointer<Float>, geometry g: Conv2DGeometry, into sums: UnsafeMutablePointer<Float>) {
        let plane = g.outputPlane
        Parallel.forEach(g.outChannels) { o in
            var total: Float = 0
            for n in 0..<g.batch { total += VectorMath.sum(outputGrad + (n * g.outChannels + o) * plane, count: plane) }
            sums[o] = total
        }
    }

    /// result = Σ over `parts` consecutive blocks of `count` floats, added in block order.
    static func sumPartials(_ partials: UnsafePointer<Float>, parts: Int, count: Int,
                                    into result: UnsafeMutablePointer<Float>) {
        result.update(from: partials, count: count)
        for part in 1..<max(1, parts) {
            let partial = partials + part * count
            for i in 0..<count { result[i] += partial[i] }
        }
    }
}
