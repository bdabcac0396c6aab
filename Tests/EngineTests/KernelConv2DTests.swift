import TestSupport
import XCTest
@testable import Engine

/// Conv2DKernels against direct loops over the definition, in Double.
final class KernelConv2DTests: XCTestCase {
    private struct Reference {
        var output: [Float], inputGrad: [Float], weightGrad: [Float], biasGrad: [Float]
    }

    private func reference(_ g: Conv2DGeometry, input x: [Float], weight w: [Float], bias b: [Float],
                           outputGrad dy: [Float]) -> Reference {
        let (C, H, W, O, kh, kw) = (g.inChannels, g.height, g.width, g.outChannels, g.kernelHeight, g.kernelWidth)
        let (OH, OW) = (g.outHeight, g.outWidth)
        var y = [Double](repeating: 0, count: g.outputCount)
        var dx = [Double](repeating: 0, count: g.inputCount)
        var dw = [Double](repeating: 0, count: g.weightCount)
        var db = [Double](repeating: 0, count: O)
        for n in 0..<g.batch {
            for o in 0..<O {
                for oh in 0..<OH {
                    for ow in 0..<OW {
                        let yi = ((n * O + o) * OH + oh) * OW + ow
                        var acc = Double(b[o])
                        db[o] += Double(dy[yi])
                        for c in 0..<C {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let ih = oh * g.stride - g.padding + i, iw = ow * g.stride - g.padding + j
                                    guard ih >= 0 && ih < H && iw >= 0 && iw < W else { continue }
                                    let xi = ((n * C + c) * H + ih) * W + iw, wi = ((o * C + c) * kh + i) * kw + j
                                    acc += Double(x[xi]) * Double(w[wi])
                                    dx[xi] += Double(dy[yi]) * Double(w[wi])
                                    dw[wi] += Double(dy[yi]) * Double(x[xi])
                                }
                            }
                        }
                        y[yi] = acc
                    }
                }
            }
        }
        let f = { (v: [Double]) in v.map(Float.init) }
        return Reference(output: f(y), inputGrad: f(dx), weightGrad: f(dw), biasGrad: f(db))
    }

    private func check(_ g: Conv2DGeometry, useBias: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNil(g.problem, file: file, line: line)
        let x = KernelTestSupport.randomValues(g.inputCount, seed: 1)
        let w = KernelTestSupport.randomValues(g.weightCount, seed: 2)
        let b = useBias ? KernelTestSupport.randomValues(g.outChannels, seed: 3) : [Float](repeating: 0, count: g.outChannels)
        let dy = KernelTestSupport.randomValues(g.outputCount, seed: 4)
        let expected = reference(g, input: x, weight: w, bias: b, outputGrad: dy)

        var y = [Float](repeating: .nan, count: g.outputCount)
        var dx = [Float](repeating: .nan, count: g.inputCount)
        var dw = [Float](repeating: .nan, count: g.weightCount)
        var db = [Float](repeating: .nan, count: g.outChannels)
        y.withUnsafeMutableBufferPointer { out in
            b.withUnsafeBufferPointer { bias in
                Conv2DKernels.forward(input: x, weight: w, bias: useBias ? bias.baseAddress : nil,
                                      output: out.baseAddress!, geometry: g)
            }
        }
        dx.withUnsafeMutableBufferPointer { dxp in
            dw.withUnsafeMutableBufferPointer { dwp in
                db.withUnsafeMutableBufferPointer { dbp in
                    Conv2DKernels.backward(input: x, weight: w, outputGrad: dy, geometry: g, inputGrad: dxp.baseAddress,
                                           weightGrad: dwp.baseAddress, biasGrad: dbp.baseAddress)
                }
            }
        }
        let tolerance = Double(2e-5 * Float(max(g.patchSize, g.batch * g.outputPlane)).squareRoot())
        assertClose(y, expected.output, tolerance: tolerance, relative: true, "output", file: file, line: line)
        assertClose(dx, expected.inputGrad, tolerance: tolerance, relative: true, "input gradient", file: file, line: line)
        assertClose(dw, expected.weightGrad, tolerance: tolerance, relative: true, "weight gradient", file: file, line: line)
        assertClose(db, expected.biasGrad, tolerance: tolerance, relative: true, "bias gradient", file: file, line: line)
    }

    func testSame3x3() {
        check(Conv2DGeometry(batch: 3, inChannels: 4, height: 9, width: 8, outChannels: 5,
                             kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
    }

    func testRowsOfEveryCopyWidth() {
        // Image rows are copied in whole vectors, the last one overlapping: widths across 4, 8 and 16.
        for width in [4, 6, 8, 12, 16, 17, 28, 33] {
            check(Conv2DGeometry(batch: 3, inChannels: 2, height: 3, width: width, outChannels: 3,
                                 kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
        }
    }

    func testStride2OddInputRoundsUp() {
        let g = Conv2DGeometry(batch: 2, inChannels: 3, height: 7, width: 7, outChannels: 4,
                               kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
        XCTAssertEqual([g.outHeight, g.outWidth], [4, 4])
        check(g)
    }

    func testStridedDirectPhasesAtTheNetworksShapes() {
        // Stride 2 runs the direct tiles over s×s phases: the networks' 28→14 and 14→7 convolutions with a
        // channel tail (11 outputs) and several groups, rows of 14 and 7 pixels split into even and odd.
        for size in [28, 14] {
            check(Conv2DGeometry(batch: 13, inChannels: 5, height: size, width: size, outChannels: 11,
                                 kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1))
        }
    }

    func testStridedDirectPhasesOfOtherKernels() {
        // No padding with an even kernel (every phase one tap), a 5x5 kernel reaching two phase rows, odd sizes,
        // and stride 3 with a non-square kernel (nine phases, some with one tap column).
        check(Conv2DGeometry(batch: 3, inChannels: 2, height: 8, width: 10, outChannels: 3,
                             kernelHeight: 2, kernelWidth: 2, stride: 2, padding: 0))
        check(Conv2DGeometry(batch: 3, inChannels: 3, height: 11, width: 9, outChannels: 4,
                             kernelHeight: 5, kernelWidth: 5, stride: 2, padding: 2))
        check(Conv2DGeometry(batch: 2, inChannels: 2, height: 10, width: 13, outChannels: 9,
                             kernelHeight: 3, kernelWidth: 4, stride: 3, padding: 1))
    }

    func testPointwiseIsAPlainProduct() {
        let g = Conv2DGeometry(batch: 3, inChannels: 6, height: 5, width: 4, outChannels: 7, kernelHeight: 1, kernelWidth: 1)
        XCTAssertTrue(g.isPointwise)
        check(g)
        check(g, useBias: false)
    }

    func testNonSquareKernelLargePaddingAndStride() {
        // A stride wider than the kernel leaves some phases unread: not direct, im2col instead.
        let g = Conv2DGeometry(batch: 2, inChannels: 2, height: 6, width: 11, outChannels: 3,
                               kernelHeight: 5, kernelWidth: 2, stride: 3, padding: 2)
        XCTAssertFalse(Conv2DDirect.handles(g))
        check(g, useBias: false)
    }

    func testKernelWiderThanImageUsesOnlyPadding() {
        // 4-wide kernel over a 1-wide image with padding 2: some kernel columns never touch the image.
        check(Conv2DGeometry(batch: 2, inChannels: 2, height: 3, width: 1, outChannels: 2,
                             kernelHeight: 3, kernelWidth: 4, stride: 1, padding: 2))
    }

    func testValidStride1ConvolutionHasNoPadding() {
        check(Conv2DGeometry(batch: 3, inChannels: 2, height: 6, width: 5, outChannels: 3,
                             kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0))
    }

    func testPaddingWiderThanTheKernelReach() {
        // p > kw − 1: output rows are wider than the image plus one side's padding.
        check(Conv2DGeometry(batch: 2, inChannels: 3, height: 4, width: 3, outChannels: 2,
                             kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 2))
        check(Conv2DGeometry(batch: 2, inChannels: 2, height: 4, width: 5, outChannels: 2,
                             kernelHeight: 2, kernelWidth: 2, stride: 1, padding: 2))
    }

    func testManyImagesShareOneProduct() {
        // 7x7 images with few channels: several images per GEMM in each worker's share.
        check(Conv2DGeometry(batch: 9, inChannels: 2, height: 7, width: 7, outChannels: 3,
                             kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
    }

    func testDirectTilesWithAChannelTailAndSeveralGroupsPerWorker() {
        // 11 output channels: one full tile of 8 and a tail of 3; groups of at most 7 images (three or more
        // per worker), so 40 images make five full groups and a partial one.
        check(Conv2DGeometry(batch: 40, inChannels: 64, height: 14, width: 14, outChannels: 11,
                             kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
    }

    /// Runs `body` with the Winograd kernel switched on (builds for AVX-512 keep it off by default).
    private func withWinograd(_ body: () -> Void) {
        let saved = Conv2DKernels.usesWinograd
        Conv2DKernels.usesWinograd = true
        defer { Conv2DKernels.usesWinograd = saved }
        body()
    }

    func testWinogradTilesAtTheNetworksShapes() {
        // 28×28, 14×14 and 7×7 (odd: the last tile row and column are half outside), 19 output channels (a
        // register tile's tail), and chunks of tiles that start and end inside tile rows and images.
        for size in [28, 14, 7] {
            let g = Conv2DGeometry(batch: 5, inChannels: 16, height: size, width: size, outChannels: 19,
                                   kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
            XCTAssertTrue(Conv2DWinograd.handles(g) && Conv2DWinograd.handles(Conv2DDirect(g).transposed))
            withWinograd { check(g) }
        }
    }

    /// Runs `body` with F(4×4, 3×3) forwards, input and weight gradients at every shape Winograd handles.
    private func withF4Everywhere(_ body: () -> Void) {
        let saved = (Conv2DKernels.winogradTile, Conv2DKernels.shortestF4TileRow)
        (Conv2DKernels.winogradTile, Conv2DKernels.shortestF4TileRow) = (4, 1)
        defer { (Conv2DKernels.winogradTile, Conv2DKernels.shortestF4TileRow) = saved }
        withWinograd(body)
    }

    func testWinogradF4AtEveryShape() {
        // 28×28 takes F(4×4) by default; here every width does: 14 and 7 (a last tile with 2 and 3 columns
        // outside), sides that differ and are not multiples of 4, one pixel wide, a register tile's tail.
        XCTAssertEqual(Conv2DKernels.tileSide(for: Conv2DGeometry(batch: 1, inChannels: 16, height: 28, width: 28,
                                                                outChannels: 16, kernelHeight: 3, kernelWidth: 3,
                                                                stride: 1, padding: 1)), 4)
        withF4Everywhere {
            for (c, h, w, o) in [(16, 28, 28, 19), (16, 14, 14, 19), (16, 7, 7, 19), (16, 9, 11, 16), (17, 3, 1, 24),
                                 (128, 7, 7, 16), (24, 6, 10, 40), (16, 13, 30, 17)] {
                let g = Conv2DGeometry(batch: 3, inChannels: c, height: h, width: w, outChannels: o,
                                       kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
                XCTAssertEqual(Conv2DKernels.tileSide(for: g), 4)
                check(g)
            }
            nothingLeaks(Conv2DGeometry(batch: 5, inChannels: 16, height: 7, width: 7, outChannels: 20,
                                        kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
        }
    }

    func testWinogradTilesOfOtherShapes() {
        // Odd and even sides that differ, a one-pixel-wide image, and 128 input channels (one register tile of
        // tiles per chunk); the input gradient goes through the transposed kernel with 16 or more outputs too.
        for (c, h, w, o) in [(16, 9, 11, 16), (17, 3, 1, 24), (128, 7, 7, 16), (24, 6, 10, 40)] {
            let g = Conv2DGeometry(batch: 3, inChannels: c, height: h, width: w, outChannels: o,
                                   kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
            XCTAssertTrue(Conv2DWinograd.handles(g))
            withWinograd { check(g) }
        }
    }

    func testNothingLeaksFromAnEarlierCallsScratchBuffers() {
        // Scratch buffers are reused without clearing: a call on NaNs must not reach the next call's padding.
        nothingLeaks(Conv2DGeometry(batch: 5, inChannels: 6, height: 7, width: 7, outChannels: 9,
                                    kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
        withWinograd {
            nothingLeaks(Conv2DGeometry(batch: 5, inChannels: 16, height: 7, width: 7, outChannels: 20,
                                        kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
        }
    }

    private func nothingLeaks(_ g: Conv2DGeometry, file: StaticString = #filePath, line: UInt = #line) {
        let nans = [Float](repeating: .nan, count: max(g.inputCount, g.outputCount, g.weightCount))
        var sink = [Float](repeating: 0, count: max(g.inputCount, g.outputCount, g.weightCount))
        var weightSink = [Float](repeating: 0, count: g.weightCount)
        sink.withUnsafeMutableBufferPointer { out in
            weightSink.withUnsafeMutableBufferPointer { dw in
                Conv2DKernels.forward(input: nans, weight: nans, bias: nil, output: out.baseAddress!, geometry: g)
                Conv2DKernels.backward(input: nans, weight: nans, outputGrad: nans, geometry: g, inputGrad: out.baseAddress,
                                       weightGrad: dw.baseAddress, biasGrad: nil)
            }
        }
        check(g, file: file, line: line)
    }

    func testGradientsAreTheSameOnEveryRun() {
        // Groups go to whichever worker is free; the weight gradient's partial sums are per group and
        // reduced in group order, so the result must not depend on the schedule.
        sameGradientsOnEveryRun(Conv2DGeometry(batch: 37, inChannels: 8, height: 14, width: 14, outChannels: 16,
                                               kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
        // Winograd's weight gradient: per-worker sums over fixed shares of the tile chunks.
        withWinograd {
            sameGradientsOnEveryRun(Conv2DGeometry(batch: 37, inChannels: 16, height: 14, width: 14, outChannels: 16,
                                                   kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
        }
    }

    private func sameGradientsOnEveryRun(_ g: Conv2DGeometry, file: StaticString = #filePath, line: UInt = #line) {
        let x = KernelTestSupport.randomValues(g.inputCount, seed: 5)
        let w = KernelTestSupport.randomValues(g.weightCount, seed: 6)
        let dy = KernelTestSupport.randomValues(g.outputCount, seed: 7)
        func gradients() -> [Float] {
            var dx = [Float](repeating: 0, count: g.inputCount), dw = [Float](repeating: 0, count: g.weightCount)
            dx.withUnsafeMutableBufferPointer { dxp in
                dw.withUnsafeMutableBufferPointer { dwp in
                    Conv2DKernels.backward(input: x, weight: w, outputGrad: dy, geometry: g, inputGrad: dxp.baseAddress,
                                           weightGrad: dwp.baseAddress, biasGrad: nil)
                }
            }
            return dx + dw
        }
        let first = gradients()
        for _ in 0..<8 { XCTAssertEqual(gradients(), first, file: file, line: line) }
    }

    func testFiveByFiveKernel() {
        // 25 taps: the weight gradient's last group of three taps is partial.
        check(Conv2DGeometry(batch: 3, inChannels: 3, height: 9, width: 10, outChannels: 9,
                             kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2))
    }

    func testProblemsAreDescribed() {
        XCTAssertNotNil(Conv2DGeometry(batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1,
                                       kernelHeight: 5, kernelWidth: 5).problem)
        XCTAssertNotNil(Conv2DGeometry(batch: 1, inChannels: 1, height: 4, width: 4, outChannels: 1,
                                       kernelHeight: 3, kernelWidth: 3, stride: 0, padding: 1).problem)
        XCTAssertNotNil(Conv2DGeometry(batch: 0, inChannels: 1, height: 4, width: 4, outChannels: 1,
                                       kernelHeight: 3, kernelWidth: 3).problem)
    }
}
