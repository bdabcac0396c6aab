import ArgumentParser
import Engine
import Foundation
import LZN
import NN

/// `lzn-bench`: performance figures as JSON lines, comparable with
/// `benchmarks/torch_reference.py` (same networks, shapes and thread count).
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lzn-bench",
        abstract: "Times the engine and one LZN training step; prints one JSON object per line.",
        discussion: """
            Without a subcommand (same as `lzn-bench all`):
              {"what":"sgemm","n":N,"gflops":...}                  n×n×n sgemm, n = 256, 512, 1024
              {"what":"lzn_train_step","preset":"s","batch":64,"seconds":...}
                  one generation step as torch_reference.py times it: enc-s → 20-step Euler latent flow →
                  unet-s rectified-flow loss → backward → clip (norm 1) → Adam; 28×28×1 images, latent 32
              {"what":"lzn_train_step_phase","phase":...,"seconds":...}   where the step's time goes
              {"what":"decoder_forward","preset":"s","batch":64,"seconds":...}   unet-s forward, no graph
              {"what":"op","op":...,"shape":...,"forward_seconds":...,"forward_backward_seconds":...}
                  the step's main kernels in isolation, at unet-s/enc-s shapes
              {"what":"latent_flow_fwd_bwd","B":..,"D":..,"seconds":..}   the latent flow below at
                  B×D = 1024×64 and 2048×200
            `lzn-bench latent-flow --batch B --dim D --steps 20`:
              {"what":"latent_flow_fwd_bwd","B":..,"D":..,"seconds":..,"peak_rss_mb":..}
                  one forward Euler latent flow plus the backward of sum(latent²); the peak is the
                  process's resident memory, so run one size per process to read it
            `lzn-bench decoder-forward --batch 64 --repeats 50` (for profilers: only the decoder forward runs):
              {"what":"decoder_forward","preset":"s","batch":64,"seconds":...}
            `lzn-bench modes --batch 128 --preset s`:
              {"what":"train_throughput","model":..,"images_per_second":..}   each trainer's speed
            `lzn-bench convolutions --batch 64`:
              {"what":"conv2d","conv":..,"uses":..,"forward_ms":..,"forward_cpu_ms":..,"backward_ms":..,"backward_cpu_ms":..}
                  each unet-s convolution at 28×28 alone, in wall and process CPU time (best of --repeats
                  after 0.5 s of busy warm-up), then their total weighted by uses per decoder forward
            Every other time is the median of --repeats runs after a warm-up. Threads: --threads (default: all
            cores, 2 here); the same count is used by the engine's workers and OpenBLAS. Build with -c release.
            """,
        subcommands: [All.self, LatentFlow.self, DecoderForward.self, Modes.self, Convolutions.self],
        defaultSubcommand: All.self)
}

struct CommonOptions: ParsableArguments {
    @Option(help: "worker threads for the engine and OpenBLAS (0: all cores)")
    var threads = 0

    @Option(help: "timed repeats per measurement (the median is printed)")
    var repeats = 5

    @Option(help: "3x3 convolutions by Winograd's algorithm: on, off, or auto (the build's choice: on without AVX-512)")
    var winograd = "auto"

    @Option(help: "the largest output tile side m of Winograd's F(m×m, 3×3): 4 (used where tile rows have 7+ tiles) or 2")
    var winogradTile = 4

    func apply() throws {
        guard threads >= 0, repeats >= 1 else { throw ValidationError("--threads must be ≥ 0 and --repeats ≥ 1") }
        if threads > 0 { Parallel.threads = threads }
        switch winograd {
        case "auto": break
        case "on", "off": Conv2DKernels.usesWinograd = winograd == "on"
        default: throw ValidationError("--winograd must be on, off or auto, not '\(winograd)'")
        }
        guard winogradTile == 2 || winogradTile == 4 else { throw ValidationError("--winograd-tile must be 2 or 4") }
        Conv2DKernels.winogradTile = winogradTile
    }
}

extension BenchCommand {
    struct All: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "all", abstract: "sgemm, the training step, the decoder forward, the op table and the latent flow")

        @OptionGroup var common: CommonOptions

        @Option(help: "batch of the training step and the decoder forward")
        var batch = 64

        func run() throws {
            try common.apply()
            for n in [256, 512, 1024] {
                emit(["what": "sgemm", "n": n, "gflops": sgemmBenchmark(n: n, repeats: common.repeats), "threads": Parallel.threads])
            }
            let step = try TrainStepBenchmark(batch: batch)
            let phases = try step.measure(repeats: common.repeats)
            emit(["what": "lzn_train_step", "preset": "s", "batch": batch, "threads": Parallel.threads, "seconds": phases.total])
            for (phase, seconds) in phases.phases {
                emit(["what": "lzn_train_step_phase", "phase": phase, "batch": batch, "seconds": seconds])
            }
            emit(["what": "decoder_forward", "preset": "s", "batch": batch, "threads": Parallel.threads,
                  "seconds": step.decoderForward(repeats: common.repeats)])
            for row in OpTable.measure(batch: batch, repeats: common.repeats) { emit(row) }
            for (b, d) in [(1024, 64), (2048, 200)] {
                let flow = try latentFlowBenchmark(batch: b, dim: d, steps: 20, repeats: common.repeats)
                emit(["what": "latent_flow_fwd_bwd", "B": b, "D": d, "steps": 20, "threads": Parallel.threads, "seconds": flow.seconds])
            }
        }
    }

    struct LatentFlow: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "latent-flow",
                                                        abstract: "Euler latent flow forward + backward of sum(latent²)")

        @OptionGroup var common: CommonOptions

        @Option(help: "queries = anchors (B = N)")
        var batch = 1024

        @Option(help: "latent dimension D")
        var dim = 64

        @Option(help: "Euler steps")
        var steps = 20

        func run() throws {
            try common.apply()
            guard batch >= 1, dim >= 1, steps >= 1 else { throw ValidationError("--batch, --dim and --steps must be positive") }
            let result = try latentFlowBenchmark(batch: batch, dim: dim, steps: steps, repeats: common.repeats)
            emit(["what": "latent_flow_fwd_bwd", "B": batch, "D": dim, "steps": steps, "threads": Parallel.threads,
                  "seconds": result.seconds, "peak_rss_mb": result.peakRSSMB])
        }
    }
}

extension BenchCommand {
    struct DecoderForward: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "decoder-forward",
                                                        abstract: "unet-s forward without a graph, alone (to profile it)")

        @OptionGroup var common: CommonOptions

        @Option(help: "images per forward")
        var batch = 64

        func run() throws {
            try common.apply()
            guard batch >= 1 else { throw ValidationError("--batch must be positive") }
            let step = try TrainStepBenchmark(batch: batch)
            emit(["what": "decoder_forward", "preset": "s", "batch": batch, "threads": Parallel.threads,
                  "seconds": step.decoderForward(repeats: common.repeats)])
        }
    }
}

/// Prints one JSON object (keys sorted) on its own line.
func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Median of the times of `repeats` calls after one warm-up call.
func medianSeconds(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return times[times.count / 2]
}

/// The latent dimension of a preset by name (32 for s).
enum NetworkPresetLookup {
    static func latentDim(_ name: String) -> Int { NetworkPreset.named(name)?.latentDim ?? 32 }
}
