import Foundation
import XCTest
@testable import Engine

/// Opt-in timings (LZN_KERNEL_TIMING=1, release build) of the convolutions of MODELS.md's `unet-s`
/// decoder at 28x28, batch LZN_KERNEL_BATCH (default 64), with LZN_KERNEL_THREADS workers (default all).
/// Prints the best of several runs in wall time and in process CPU time (the steadier figure on a busy
/// machine); asserts nothing about speed, so it cannot flake.
final class KernelTimingTests: XCTestCase {
    private static let unetConvolutions: [(name: String, inC: Int, outC: Int, kernel: Int, stride: Int, size: Int, uses: Int)] = [
        ("A 1-16 k3 28", 1, 16, 3, 1, 28, 1), ("B 16-16 k3 28", 16, 16, 3, 1, 28, 3), ("C 16-16 k3s2 28", 16, 16, 3, 2, 28, 1),
        ("D 16-32 k3 14", 16, 32, 3, 1, 14, 1), ("E 32-32 k3 14", 32, 32, 3, 1, 14, 2), ("F 16-32 k1 14", 16, 32, 1, 1, 14, 1),
        ("G 32-32 k3s2 14", 32, 32, 3, 2, 14, 1), ("H 32-64 k3 7", 32, 64, 3, 1, 7, 1), ("I 64-64 k3 7", 64, 64, 3, 1, 7, 6),
        ("J 32-64 k1 7", 32, 64, 1, 1, 7, 1), ("K 64-192 k1 7", 64, 192, 1, 1, 7, 1), ("L 64-64 k1 7", 64, 64, 1, 1, 7, 1),
        ("M 128-64 k3 7", 128, 64, 3, 1, 7, 1), ("N 128-64 k1 7", 128, 64, 1, 1, 7, 1), ("O 64-64 k3 14", 64, 64, 3, 1, 14, 1),
        ("P 96-32 k3 14", 96, 32, 3, 1, 14, 1), ("Q 96-32 k1 14", 96, 32, 1, 1, 14, 1), ("R 32-32 k3 28", 32, 32, 3, 1, 28, 1),
        ("S 48-16 k3 28", 48, 16, 3, 1, 28, 1), ("T 48-16 k1 28", 48, 16, 1, 1, 28, 1), ("U 16-1 k3 28", 16, 1, 3, 1, 28, 1),
    ]

    private var batch: Int { Int(ProcessInfo.processInfo.environment["LZN_KERNEL_BATCH"] ?? "") ?? 64 }

    private var savedThreads = 0

    override func setUpWithError() throws {
        let environment = ProcessInfo.processInfo.environment
        try XCTSkipUnless(environment["LZN_KERNEL_TIMING"] == "1", "set LZN_KERNEL_TIMING=1 to time kernels")
        savedThreads = Parallel.threads
        if let threads = Int(environment["LZN_KERNEL_THREADS"] ?? "") { Parallel.threads = threads }
    }

    override func tearDown() {
        if savedThreads > 0 { Parallel.threads = savedThreads }
    }

    private static func now(_ clock: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(clock, &t)
        return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
    }

    /// Best (wall, CPU) milliseconds of `repeats` runs after one warm-up.
    private func bestMilliseconds(repeats: Int = 15, _ body: () -> Void) -> (wall: Double, cpu: Double) {
        body()
        var best = (wall: Double.infinity, cpu: Double.infinity)
        for _ in 0..<repeats {
            let wall = Self.now(CLOCK_MONOTONIC), cpu = Self.now(CLOCK_PROCESS_CPUTIME_ID)
            body()
            best = (min(best.wall, Self.now(CLOCK_MONOTONIC) - wall), min(best.cpu, Self.now(CLOCK_PROCESS_CPUTIME_ID) - cpu))
        }
        return best
    }

    /// Busy work on every worker for `seconds` first: this VM runs about half speed for the first ~0.1 s
    /// of work after idling (measured: a convolution took 2.9 ms for its first 37 calls, then 1.4 ms).
    private static func warmUp(seconds: Double = 0.5) {
        var sums = [Float](repeating: 1, count: Parallel.threads)
        let start = now(CLOCK_MONOTONIC)
        sums.withUnsafeMutableBufferPointer { sums in
            while now(CLOCK_MONOTONIC) - start < seconds * 1e3 {
                Parallel.forEach(sums.count) { worker in
                    for _ in 0..<100_000 { sums[worker] = sums[worker] * 0.999_999 + 1e-7 }
                }
            }
        }
        XCTAssertTrue(sums.allSatisfy(\.isFinite))
    }

    func testConvolutionsOfTheDecoder() {
        Self.warmUp()
        var totals = [Double](repeating: 0, count: 4)
        for c in Self.unetConvolutions {
            let g = Conv2DGeometry(batch: batch, inChannels: c.inC, height: c.size, width: c.size, outChannels: c.outC,
                                   kernelHeight: c.kernel, kernelWidth: c.kernel, stride: c.stride, padding: c.kernel / 2)
            let x = KernelTestSupport.randomValues(g.inputCount, seed: 1)
            let w = KernelTestSupport.randomValues(g.weightCount, seed: 2)
            let b = KernelTestSupport.randomValues(g.outChannels, seed: 3)
            let dy = KernelTestSupport.randomValues(g.outputCount, seed: 4)
            var y = [Float](repeating: 0, count: g.outputCount), dx = [Float](repeating: 0, count: g.inputCount)
            var dw = [Float](repeating: 0, count: g.weightCount), db = [Float](repeating: 0, count: g.outChannels)
            let forward = y.withUnsafeMutableBufferPointer { out in
                bestMilliseconds { Conv2DKernels.forward(input: x, weight: w, bias: b, output: out.baseAddress!, geometry: g) }
            }
            let backward = dx.withUnsafeMutableBufferPointer { dxp in
                dw.withUnsafeMutableBufferPointer { dwp in
                    db.withUnsafeMutableBufferPointer { dbp in
                        bestMilliseconds {
                            Conv2DKernels.backward(input: x, weight: w, outputGrad: dy, geometry: g, inputGrad: dxp.baseAddress,
                                                   weightGrad: dwp.baseAddress, biasGrad: dbp.baseAddress)
                        }
                    }
                }
            }
            for (i, t) in [forward.wall, forward.cpu, backward.wall, backward.cpu].enumerated() { totals[i] += t * Double(c.uses) }
            print(String(format: "%-18@ x%d  fwd %7.3f ms (cpu %7.3f)  bwd %7.3f ms (cpu %7.3f)", c.name as NSString, c.uses,
                         forward.wall, forward.cpu, backward.wall, backward.cpu))
        }
        print(String(format: "weighted total: fwd %.2f ms (cpu %.2f)  bwd %.2f ms (cpu %.2f)", totals[0], totals[1], totals[2], totals[3]))
    }
}
