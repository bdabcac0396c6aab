import Models
import Engine
import Store
import TestSupport
import XCTest
import Training

final class TrainedModelTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    func testLoadsRawAndEMAWeightsFromAStoredCheckpoint() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-trained-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store.open(directory.appendingPathComponent("store.sqlite").path)
        defer { store.close() }

        let data = SyntheticData.quadrants()
        let trainer = try Trainer(config: SyntheticData.config(.generation, dataset: data, iterations: 4) { $0.conditional = true; $0.labelSteps = 10 },
                                  dataset: data)
        _ = try trainCollecting(trainer, term: "loss")
        let artifact = try trainer.checkpoint().save(in: store, name: "ckpt")

        let raw = try TrainedModel.load(store: store, artifact: artifact, weights: .raw)
        let ema = try TrainedModel.load(store: store, reference: "ckpt", weights: .ema)
        XCTAssertEqual(raw.config, trainer.config)
        XCTAssertEqual(raw.iteration, 4)
        XCTAssertEqual(raw.classNames, data.classNames)
        XCTAssertEqual(raw.decoder!.namedParameters().map { $0.1.values }, trainer.networks.decoder!.namedParameters().map { $0.1.values })
        XCTAssertEqual(raw.labelAnchors!.shape, [4, 16])
        XCTAssertNotEqual(ema.encoder!.parameters().map(\.values), raw.encoder!.parameters().map(\.values))
        XCTAssertFalse(raw.decoder!.training, "evaluation models are in eval mode")
        XCTAssertThrowsError(try raw.logits(data.batch([0])), "a generation model has no classifier")
    }

    func testRefusesBundlesThatAreNotCheckpoints() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-trained-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store.open(directory.appendingPathComponent("store.sqlite").path)
        defer { store.close() }
        let other = try store.putBundle([:], document: ["format": "something/else"], name: "other")
        XCTAssertThrowsError(try TrainedModel.load(store: store, artifact: other)) { error in
            XCTAssertTrue("\(error)".contains("expected lzn-checkpoint/1"), "\(error)")
        }
    }
}
