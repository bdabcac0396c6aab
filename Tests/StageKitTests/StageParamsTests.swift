import TestSupport
import XCTest
@testable import StageKit

final class StageParamsTests: XCTestCase {
    func testResolveFillsDefaultsCoercesAndReportsEveryProblem() throws {
        let d = TestStages.train
        let params = StageParams(try d.resolveParams(["mode": .string("contrastive"), "lr": .int(2), "widths": .list([.int(8)])]))
        XCTAssertEqual(params.string("mode"), "contrastive")
        XCTAssertEqual(params.float("lr"), 2.0)
        XCTAssertEqual(params.int("iterations"), 100)
        XCTAssertEqual(params.ints("widths"), [8])
        XCTAssertTrue(params.bool("ema"))
        XCTAssertEqual(params.canonicalJSON, #"{"ema":true,"iterations":100,"lr":2.0,"mode":"contrastive","widths":[8]}"#)

        XCTAssertThrowsError(try d.resolveParams(["lr": .string("fast"), "mode": .string("x"), "extra": .int(1), "widths": .list([.float(1.5)])])) {
            XCTAssertEqual($0 as? StageError, .badParams(ParamProblemList(stage: "lzn-train", problems: [
                .unknown(name: "extra", known: ["mode", "lr", "iterations", "widths", "ema"]),
                .notAChoice(name: "mode", value: "x", choices: ["generation", "contrastive"]),
                .wrongType(name: "lr", expected: .float, got: .string("fast")),
                .wrongType(name: "widths", expected: .intList, got: .list([.float(1.5)])),
            ])))
        }
        XCTAssertThrowsError(try d.resolveParams([:])) {
            XCTAssertEqual($0 as? StageError, .badParams(ParamProblemList(stage: "lzn-train", problems: [.missing(name: "mode")])))
        }
    }

    func testStoredJSONReadsBackTypedByTheDescription() {
        let params: [String: ParamValue] = ["mode": .string("generation"), "lr": .float(1), "iterations": .int(5),
                                            "widths": .list([.int(1), .int(2)]), "ema": .bool(false)]
        XCTAssertEqual(ParamValue.params(from: ParamValue.json(params), typedBy: TestStages.train), params)
    }

    func testDescriptionProblems() {
        XCTAssertEqual(TestStages.train.problems(), [])
        var bad = TestStages.train
        bad.version = ""
        bad.params.append(.int("lr", default: 1, doc: "duplicate"))
        bad.params.append(ParamSpec("k", .int, default: .string("x"), doc: "wrong default"))
        bad.outputs.append(ArtifactSpec("a.b", kind: "", doc: "bad name"))
        XCTAssertEqual(bad.problems(), [
            "lzn-train: empty implementation version",
            "lzn-train: duplicate parameter 'lr'",
            "lzn-train: bad output name 'a.b'",
            "lzn-train: default of 'k' is not a int",
            "lzn-train: artifact 'a.b' has kind '', not one of the store's: tensor, bundle, dataset, image, text, json",
        ])
    }

    func testDescribeJSONRoundTrips() throws {
        let text = TestStages.train.jsonText()
        XCTAssertEqual(try JSONDecoder().decode(StageDescription.self, from: Data(text.utf8)), TestStages.train)
        XCTAssertTrue(text.contains(#""type" : "[int]""#), text)
    }
}
