import Models
import Report
import XCTest
@testable import Evaluation

final class TrainedModelPartsTests: XCTestCase {
    func testEachTrainingSetupGetsTheTagOfItsComparisonRow() {
        func tag(_ mode: TrainingMode, _ latent: LatentKind = .lzn, conditional: Bool = false) -> String {
            TrainingConfig(mode: mode, imageChannels: 1, imageSize: 28, classCount: 10) {
                $0.latent = latent; $0.conditional = conditional
            }.evaluationTag
        }
        XCTAssertEqual(tag(.generation, .none), "rf")
        XCTAssertEqual(tag(.generation), "rf-lzn")
        XCTAssertEqual(tag(.generation, conditional: true), "lzn-conditional")
        XCTAssertEqual(tag(.contrastive), "lzn")
        XCTAssertEqual(tag(.simclr), "simclr")
        XCTAssertEqual(tag(.supervised), "supervised")
        let expected = Set(EvaluationMetrics.generativeModels.map(\.0) + EvaluationMetrics.representations.map(\.0)
                           + EvaluationMetrics.classifiers.map(\.0))
        XCTAssertTrue(Set(["rf", "rf-lzn", "lzn-conditional", "lzn", "simclr", "supervised"]).isSubset(of: expected))
    }

    func testMissingPartsAreErrorsNamingTheModel() throws {
        let f = try StageFixture()
        let model = try TrainedModel.load(from: f.store, artifact: f.checkpoint(mode: .generation, latent: false), weights: "raw")
        XCTAssertThrowsError(try model.require(model.encoder, "encoder", for: "lzn-latents")) { error in
            XCTAssertEqual("\(error)", "lzn-latents: the generation checkpoint (rf) has no encoder")
        }
        XCTAssertNotNil(try model.require(model.decoder, "decoder", for: "lzn-generate"))
    }
}
