import ArrayFormats
import Foundation
import XCTest
@testable import LZN

/// The reference cases of Tests/Fixtures/lzn (float64, computed with the paper's own code; see its README).
struct LatentFlowFixture {
    let name: String
    let parameters: [String: Any]
    private let arrays: [String: String]
    private let directory: URL

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lzn")

    /// Every case of manifest.json, sorted by name.
    static func all() throws -> [LatentFlowFixture] {
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        return try manifest.keys.sorted().map { name in
            let entry = try XCTUnwrap(manifest[name])
            var arrays: [String: String] = [:]
            for (key, value) in entry where key != "params" {
                arrays[key] = try XCTUnwrap((value as? [String: Any])?["file"] as? String)
            }
            return LatentFlowFixture(name: name, parameters: try XCTUnwrap(entry["params"] as? [String: Any]),
                                     arrays: arrays, directory: directory)
        }
    }

    var isForward: Bool { name.contains("_fwd") }
    var isReverse: Bool { name.contains("_rev") }
    var steps: Int { parameters["steps"] as! Int }
    var cutoff: Double { parameters["cutoff"] as! Double }
    var hasWeights: Bool { arrays["weights"] != nil }

    /// `euler`, `dpm2`, `dpm3` from the case name.
    var solver: LatentSolver { LatentSolver(name: String(name.prefix { $0 != "_" }))! }

    func array(_ key: String) throws -> NDArray {
        try NPY.read(contentsOf: directory.appendingPathComponent(try XCTUnwrap(arrays[key], "\(name) has no \(key)")).path)
    }

    func matrix<T: FlowScalar>(_ key: String, as _: T.Type = T.self) throws -> FlowMatrix<T> {
        let a = try array(key)
        XCTAssertEqual(a.shape.count, 2, "\(name).\(key)")
        return FlowMatrix(rows: a.shape[0], columns: a.shape[1], values: a.doubles().map { T($0) })
    }

    func doubles(_ key: String) throws -> [Double] { try array(key).doubles() }
}
