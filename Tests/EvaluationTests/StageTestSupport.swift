import Models
import ArrayFormats
import Datasets
import Engine
import Foundation
import NN
import Store
@testable import Evaluation

/// A temporary store with a tiny synthetic labelled dataset and checkpoints of fresh `xs` networks
/// in the layout CheckpointModels reads, for in-process stage tests.
final class StageFixture {
    let directory: URL
    let store: Store
    static let size = 8, classes = 3, latentDim = 4

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try Store.open(directory.appendingPathComponent("store.sqlite").path)
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// `count` 1×8×8 images whose brightness pattern depends on the label (so features separate them).
    func dataset(count: Int, seed: UInt64, split: DatasetSplit = .train, holdout: DatasetHoldout? = nil) throws -> Artifact {
        var rng = Philox(seed: seed)
        let s = Self.size
        var images = [UInt8](repeating: 0, count: count * s * s), labels: [Int] = []
        for i in 0..<count {
            let label = i % Self.classes
            labels.append(label)
            for y in 0..<s {
                for x in 0..<s {
                    let base = (x / 3 == label ? 200.0 : 40.0) + 30 * Double(rng.normal())
                    images[i * s * s + y * s + x] = UInt8(max(0, min(255, base)))
                }
            }
        }
        let dataset = Dataset(images: images, count: count, channels: 1, height: s, width: s, labels: labels,
                              classNames: (0..<Self.classes).map { "c\($0)" }, split: split, source: "synthetic-\(seed)", flippable: false,
                              holdout: holdout)
        return try DatasetArtifact.save(dataset, name: "synthetic-\(seed)-\(split.rawValue)", in: store)
    }

    /// A checkpoint of fresh `xs` networks written in lzn-train's layout, with EMA weights equal to
    /// the raw ones: mode generation (latent / conditional variants), contrastive, supervised or simclr.
    func checkpoint(mode: TrainingMode, latent: Bool = true, conditional: Bool = false, seed: UInt64 = 1) throws -> Artifact {
        let config = TrainingConfig(mode: mode, imageChannels: 1, imageSize: Self.size, classCount: Self.classes) {
            $0.latent = latent ? .lzn : .none; $0.conditional = conditional; $0.preset = "xs"
            $0.latentDim = Self.latentDim; $0.seed = seed
        }.resolved()
        let networks = try Networks(config: config)
        var tensors: [String: Tensor] = [:]
        for part in networks.parts {
            for (name, parameter) in networks.module(part)!.namedParameters() {
                tensors[CheckpointLayout.parameterName(part, name)] = parameter
                tensors[CheckpointLayout.emaShadowName(part, name)] = parameter
            }
        }
        let document: JSON = ["format": .string(CheckpointLayout.format), "config": try JSON(encoding: config)]
        return try CheckpointContents(tensors: tensors, document: document).save(in: store, name: "checkpoint-\(mode)-\(seed)")
    }

    /// Every metric the runs of `stage` recorded, in order.
    func metrics(_ stage: String) throws -> [Metric] {
        try ReadOnlyQuery.run("""
            SELECT m.name, m.value, m.step, m.split, m.tag FROM metrics AS m JOIN stage_runs AS s ON s.id = m.stage_run
            WHERE s.stage = '\(stage)' ORDER BY m.id
            """, storePath: store.path).rows.map { row in
            Metric(row[0].text ?? "", row[1].real ?? .nan, step: row[2].integer.map { Int($0) }, split: row[3].text, tag: row[4].text)
        }
    }
}

extension SQLValue {
    var text: String? { if case .text(let s) = self { return s }; return nil }
    var integer: Int64? { if case .integer(let i) = self { return i }; return nil }
    var real: Double? {
        switch self {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
}
