import Models
import StageKit
import Store
import XCTest
@testable import Training

/// The knobs of `TrainingConfig` are declared once; the stage parameters, the checkpoint's config and
/// the range checks all come from that declaration.
final class TrainingConfigTests: XCTestCase {
    func testEveryKnobIsAStageParameterUnderItsSnakeCaseName() {
        let params = TrainStage.description.params
        XCTAssertEqual(params.map(\.name), TrainingConfig.specs.map(\.name) + ["threads", "ranks", "hostfile", "mpirun_args"])
        let names = Set(params.map(\.name))
        for name in ["mode", "latent_dim", "encoder_lr", "label_anchor_lr", "label_anchor_iterations", "clip_norm",
                     "ema_decay", "prior_scale", "class_weights", "projection_dim", "data_seed", "checkpoint_every"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertNil(TrainStage.description.param("mode")?.defaultValue, "mode is required")
        XCTAssertEqual(TrainStage.description.param("batch")?.defaultValue, .int(128))
        XCTAssertEqual(TrainStage.description.param("decoder_lr")?.defaultValue, .float(1e-3))
        XCTAssertEqual(TrainStage.description.param("seed")?.type, .int)
        XCTAssertEqual(TrainStage.description.param("preset")?.choices, ["xs", "s", "m"])
        XCTAssertEqual(TrainStage.description.param("latent")?.choices, ["lzn", "none"])
        XCTAssertTrue(TrainStage.description.param("ema_decay")!.doc.hasSuffix("(in [0, 1])"))
        XCTAssertFalse(names.contains("image_size"), "dataset facts are not parameters")
        XCTAssertEqual(TrainStage.description.problems(), [])
    }

    func testTheCheckpointConfigUsesTheParameterNamesAndReadsBack() throws {
        let config = TrainingConfig(mode: .contrastive, imageChannels: 3, imageSize: 32, classCount: 10) {
            $0.latentDim = 7; $0.encoderLR = 2e-3; $0.seed = 11; $0.classWeights = false; $0.preset = "xs"
        }
        let json = config.json
        XCTAssertEqual(json["latent_dim"]?.intValue, 7)
        XCTAssertEqual(json["encoder_lr"]?.doubleValue, 2e-3)
        XCTAssertEqual(json["image_size"]?.intValue, 32)
        XCTAssertEqual(json["mode"]?.stringValue, "contrastive")
        XCTAssertNil(json["latentDim"])
        XCTAssertEqual(Set(json.objectValue!.keys), Set(TrainingConfig.specs.map(\.name) + ["image_channels", "image_size", "class_count"]))
        XCTAssertEqual(try TrainingConfig(values: json.objectValue!), config)
    }

    func testAConfigSpelledInCamelCaseByAnOlderCheckpointIsRead() throws {
        let old: [String: JSON] = ["mode": "generation", "latentDim": 16, "encoderLR": 1e-4, "imageSize": 8, "classCount": 3,
                                   "labelAnchorIterations": 5, "seed": 9]
        let config = try TrainingConfig(values: old)
        XCTAssertEqual(config.latentDim, 16)
        XCTAssertEqual(config.encoderLR, 1e-4)
        XCTAssertEqual(config.imageSize, 8)
        XCTAssertEqual(config.labelAnchorIterations, 5)
        XCTAssertEqual(config.seed, 9)
        XCTAssertEqual(config.batch, 128, "a knob the checkpoint does not name takes its default")
    }

    func testOutOfRangeKnobsAreNamedWithTheirDeclaredRange() {
        XCTAssertThrowsError(try TrainingConfig(parameters: ["mode": .string("generation"), "batch": .int(0), "ema_decay": .float(1.5),
                                                             "dropout": .float(1), "preset": .string("huge"), "seed": .int(-1),
                                                             "crop_scale_min": .float(0)])) { error in
            guard case .badParams(let list)? = error as? StageError else { return XCTFail("\(error)") }
            XCTAssertEqual(list.problems.map(\.description), [
                "preset is \"huge\", expected one of: xs, s, m",
                "batch must be at least 1, got 0",
                "ema_decay must be in [0, 1], got 1.5",
                "dropout must be in [0, 1), got 1.0",
                "crop_scale_min must be in (0, 1], got 0.0",
                "seed must be at least 0, got -1",
            ])
        }
    }

    func testResolvedFillsTheZeroDefaultsOnceAndIsIdempotent() {
        let config = TrainingConfig(mode: .generation, imageChannels: 1, imageSize: 28, classCount: 10) { $0.iterations = 40; $0.decoderIterations = 30 }
        let resolved = config.resolved()
        XCTAssertEqual(resolved.latentDim, 32)
        XCTAssertEqual(resolved.encoderLR, 1e-4)
        XCTAssertEqual(resolved.encoderIterations, 40)
        XCTAssertEqual(resolved.decoderIterations, 30)
        XCTAssertEqual(resolved.resolved(), resolved)
        XCTAssertEqual(TrainingConfig(mode: .simclr, imageChannels: 1, imageSize: 28, classCount: 10).resolved().encoderLR, 1e-3)
    }
}
