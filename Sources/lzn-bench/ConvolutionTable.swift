import ArgumentParser
import Engine
import Foundation

extension BenchCommand {
    /// The convolutions of MODELS.md's `unet-s` decoder at 28×28, each timed alone (forward, and the
    /// backward into input, weight and bias), in wall time and in process CPU time (the steadier
    /// figure on a busy machine), best of --repeats runs after one warm-up call.
    struct Convolutions: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "convolutions",
                                                        abstract: "each unet-s convolution's forward and backward kernels")

        @OptionGroup var common: CommonOptions

        @Option(help: "images per convolution")
        var batch = 64

        func run() throws {
            try common.apply()
            guard batch >= 1 else { throw ValidationError("--batch must be positive") }
            ConvolutionTable.warmUp()
            var totals = [Double](repeating: 0, count: 4)
            for c in ConvolutionTable.unetConvolutions {
                let times = ConvolutionTable.measure(c, batch: batch, repeats: common.repeats)
                for (i, t) in times.enumerated() { totals[i] += t * Double(c.uses) }
                emit(["what": "conv2d", "conv": c.name, "uses": c.uses, "batch": batch, "threads": Parallel.threads,
                      "forward_ms": times[0], "forward_cpu_ms": times[1], "backward_ms": times[2], "backward_cpu_ms": times[3]])
            }
            emit(["what": "conv2d_weighted_total", "batch": batch, "threads": Parallel.threads,
                  "forward_ms": totals[0], "forward_cpu_ms": totals[1], "backward_ms": totals[2], "backward_cpu_ms": totals[3]])
        }
    }
}

enum ConvolutionTable {
    typealias Convolution = (name: String, inC: Int, outC: Int, kernel: Int, stride: Int, size: Int, uses: Int)

    /// Every convolution of unet-s at 28×28×1 (name: letter, channels, kernel, stride, size) and how
    /// often one forward pass runs it.
    static let unetConvolutions: [Convolution] = [
        ("A 1-16 k3 28", 1, 16, 3, 1, 28, 1), ("B 16-16 k3 28", 16, 16, 3, 1, 28, 3), ("C 16-16 k3s2 28", 16, 16, 3, 2, 28, 1),
        ("D 16-32 k3 14", 16, 32, 3, 1, 14, 1), ("E 32-32 k3 14", 32, 32, 3, 1, 14, 2), ("F 16-32 k1 14", 16, 32, 1, 1, 14, 1),
        ("G 32-32 k3s2 14", 32, 32, 3, 2, 14, 1), ("H 32-64 k3 7", 32, 64, 3, 1, 7, 1), ("I 64-64 k3 7", 64, 64, 3, 1, 7, 6),
        ("J 32-64 k1 7", 32, 64, 1, 1, 7, 1), ("K 64-192 k1 7", 64, 192, 1, 1, 7, 1), ("L 64-64 k1 7", 64, 64, 1, 1, 7, 1),
        ("M 128-64 k3 7", 128, 64, 3, 1, 7, 1), ("N 128-64 k1 7", 128, 64, 1, 1, 7, 1), ("O 64-64 k3 14", 64, 64, 3, 1, 14, 1),
        ("P 96-32 k3 14", 96, 32, 3, 1, 14, 1), ("Q 96-32 k1 14", 96, 32, 1, 1, 14, 1), ("R 32-32 k3 28", 32, 32, 3, 1, 28, 1),
        ("S 48-16 k3 28", 48, 16, 3, 1, 28, 1), ("T 48-16 k1 28", 48, 16, 1, 1, 28, 1), ("U 16-1 k3 28", 16, 1, 3, 1, 28, 1),
    ]

    /// Milliseconds: forward wall, forward CPU, backward wall, backward CPU (best of `repeats`).
    static func measure(_ c: Convolution, batch: Int, repeats: Int) -> [Double] {
        let g = Conv2DGeometry(batch: batch, inChannels: c.inC, height: c.size, width: c.size, outChannels: c.outC,
                               kernelHeight: c.kernel, kernelWidth: c.kernel, stride: c.stride, padding: c.kernel / 2)
        let x = randomValues(g.inputCount, seed: 1), w = randomValues(g.weightCount, seed: 2)
        let b = randomValues(g.outChannels, seed: 3), dy = randomValues(g.outputCount, seed: 4)
        var y = [Float](repeating: 0, count: g.outputCount), dx = [Float](repeating: 0, count: g.inputCount)
        var dw = [Float](repeating: 0, count: g.weightCount), db = [Float](repeating: 0, count: g.outChannels)
        let forward = y.withUnsafeMutableBufferPointer { out in
            bestMilliseconds(repeats: repeats) { Conv2DKernels.forward(input: x, weight: w, bias: b, output: out.baseAddress!, geometry: g) }
        }
        let backward = dx.withUnsafeMutableBufferPointer { dxp in
            dw.withUnsafeMutableBufferPointer { dwp in
                db.withUnsafeMutableBufferPointer { dbp in
                    bestMilliseconds(repeats: repeats) {
                        Conv2DKernels.backward(input: x, weight: w, outputGrad: dy, geometry: g, inputGrad: dxp.baseAddress,
                                               weightGrad: dwp.baseAddress, biasGrad: dbp.baseAddress)
                    }
                }
            }
        }
        return [forward.wall, forward.cpu, backward.wall, backward.cpu]
    }

    private static func randomValues(_ count: Int, seed: UInt64) -> [Float] {
        var rng = Philox(seed: seed)
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { rng.fillUniform($0, low: -1, high: 1) }
        return values
    }

    private static func now(_ clock: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(clock, &t)
        return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
    }

    /// Best (wall, CPU) milliseconds of `repeats` runs after one warm-up.
    private static func bestMilliseconds(repeats: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
        body()
        var best = (wall: Double.infinity, cpu: Double.infinity)
        for _ in 0..<repeats {
            let wall = now(CLOCK_MONOTONIC), cpu = now(CLOCK_PROCESS_CPUTIME_ID)
            body()
            best = (min(best.wall, now(CLOCK_MONOTONIC) - wall), min(best.cpu, now(CLOCK_PROCESS_CPUTIME_ID) - cpu))
        }
        return best
    }

    /// Busy work on every worker for `seconds` first: this VM runs about half speed for the first ~0.1 s
    /// of work after idling (measured: a convolution took 2.9 ms for its first 37 calls, then 1.4 ms).
    static func warmUp(seconds: Double = 0.5) {
        var sums = [Float](repeating: 1, count: Parallel.threads)
        let start = now(CLOCK_MONOTONIC)
        sums.withUnsafeMutableBufferPointer { sums in
            while now(CLOCK_MONOTONIC) - start < seconds * 1e3 {
                Parallel.forEach(sums.count) { worker in
                    for _ in 0..<100_000 { sums[worker] = sums[worker] * 0.999_999 + 1e-7 }
                }
            }
        }
        precondition(sums.allSatisfy(\.isFinite))
    }
}
