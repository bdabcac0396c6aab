import Models
import ArgumentParser
import Datasets
import Engine
import Training

extension BenchCommand {
    /// Images per second of each trainer at a preset and batch, on random 28×28×1 data (speed does
    /// not depend on the pixels): what the pipelines' iteration budgets are sized from.
    struct Modes: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "modes", abstract: "training throughput of every mode")

        @OptionGroup var common: CommonOptions

        @Option(help: "batch (the anchor set of the flows)")
        var batch = 128

        @Option(help: "network preset")
        var preset = "s"

        func run() throws {
            try common.apply()
            var rng = Philox(seed: 5)
            let count = batch * 2
            let images = (0..<(count * 28 * 28)).map { _ in UInt8(rng.uniformInt(256)) }
            let dataset = Dataset(images: images, count: count, channels: 1, height: 28, width: 28,
                                  labels: (0..<count).map { $0 % 10 }, classNames: (0..<10).map { "c\($0)" },
                                  split: .train, source: "random", flippable: true)
            let runs: [(String, TrainingMode, LatentKind, Bool)] = [
                ("rf", .generation, .none, false), ("lzn", .generation, .lzn, false), ("joint", .generation, .lzn, true),
                ("contrastive", .contrastive, .lzn, false), ("simclr", .simclr, .lzn, false), ("supervised", .supervised, .lzn, false),
            ]
            for (name, mode, latent, conditional) in runs {
                let config = TrainingConfig(mode: mode, imageChannels: 1, imageSize: 28, classCount: 10) {
                    $0.latent = latent; $0.conditional = conditional; $0.preset = preset
                    $0.batch = batch; $0.iterations = common.repeats + 1
                }
                let trainer = try Trainer(config: config, dataset: dataset)
                try trainer.step()  // warm-up
                var times: [Double] = []
                while !trainer.finished { times.append(try trainer.step().seconds) }
                times.sort()
                let seconds = times[times.count / 2]
                emit(["what": "train_throughput", "model": name, "mode": mode.rawValue, "preset": preset, "batch": batch,
                      "threads": Parallel.threads, "seconds_per_iteration": seconds, "images_per_second": Double(batch) / seconds])
            }
        }
    }
}
