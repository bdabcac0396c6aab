import StageKit
import TestSupport
import XCTest

final class SignatureTests: XCTestCase {
    func testCanonicalTextIsSortedCompactAndTyped() {
        let s = StageSignature(executable: "lzn-train", version: "3",
                               params: ["lr": .float(1), "mode": .string("gen\"x"), "b": .list([.int(1), .float(0.5)]), "A": .bool(true)],
                               inputs: ["dataset": "sha256-aa", "checkpoint": "sha256-bb"])
        XCTAssertEqual(s.canonicalText,
                       #"{"executable":"lzn-train","inputs":{"checkpoint":"sha256-bb","dataset":"sha256-aa"},"params":{"A":true,"b":[1,0.5],"lr":1.0,"mode":"gen\"x"},"schema":1,"version":"3"}"#)
        // Golden: changing the canonical form silently would invalidate every stored result.
        XCTAssertEqual(s.digest, "sha256-d56fe90c6ac9aeba3b879fa9d4a499fcac555ca44b7e756c61611499a9e6cd69")
    }

    func testSignatureChangesWithEachIngredientOnly() {
        let base = StageSignature(executable: "lzn-train", version: "3", params: ["lr": .float(0.001), "n": .int(2)], inputs: ["d": "sha256-1"])
        let reordered = StageSignature(executable: "lzn-train", version: "3", params: ["n": .int(2), "lr": .float(0.001)], inputs: ["d": "sha256-1"])
        XCTAssertEqual(base.digest, reordered.digest)
        XCTAssertTrue(base.digest.hasPrefix("sha256-"))
        XCTAssertEqual(base.digest.count, 7 + 64)
        var variants = [base]
        variants.append(StageSignature(executable: "lzn-probe", version: "3", params: base.params, inputs: base.inputs))
        variants.append(StageSignature(executable: "lzn-train", version: "4", params: base.params, inputs: base.inputs))
        variants.append(StageSignature(executable: "lzn-train", version: "3", params: ["lr": .float(0.002), "n": .int(2)], inputs: base.inputs))
        variants.append(StageSignature(executable: "lzn-train", version: "3", params: ["lr": .float(0.001), "n": .float(2)], inputs: base.inputs))
        variants.append(StageSignature(executable: "lzn-train", version: "3", params: base.params, inputs: ["d": "sha256-2"]))
        variants.append(StageSignature(executable: "lzn-train", version: "3", params: base.params, inputs: ["e": "sha256-1"]))
        XCTAssertEqual(Set(variants.map(\.digest)).count, variants.count)
    }

    func testIntegerSpelledFloatParamsHashLikeFloats() throws {
        let a = try TestStages.train.resolveParams(["mode": .string("generation"), "lr": .int(1)])
        let b = try TestStages.train.resolveParams(["mode": .string("generation"), "lr": .float(1.0)])
        XCTAssertEqual(a, b)
        XCTAssertEqual(ParamValue.float(1).canonicalJSON, "1.0")
        XCTAssertEqual(ParamValue.float(1e-20).canonicalJSON, "1e-20")
    }
}
