import XCTest
import ArrayFormats
@testable import Evaluation

/// Every case of Tests/Fixtures/fid/manifest.json (reference FIDs computed in float64 with SciPy).
final class FIDFixtureTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fid")

    struct Case: Decodable { let a: String; let b: String; let fid: Double }

    func testEveryManifestCaseMatches() throws {
        let manifest = try Data(contentsOf: Self.fixtures.appendingPathComponent("manifest.json"))
        let cases = try JSONDecoder().decode([String: Case].self, from: manifest)
        XCTAssertEqual(cases.count, 3)
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let a = try FeatureStatistics(array: NPY.read(contentsOf: Self.fixtures.appendingPathComponent(c.a).path), source: c.a)
            let b = try FeatureStatistics(array: NPY.read(contentsOf: Self.fixtures.appendingPathComponent(c.b).path), source: c.b)
            let fid = try FID.distance(a, b)
            if abs(c.fid) < 1e-6 {
                XCTAssertEqual(fid, c.fid, accuracy: 1e-6, name)
            } else {
                XCTAssertEqual(fid, c.fid, accuracy: 1e-3 * abs(c.fid), name)
            }
            print("FID fixture \(name): \(fid) (reference \(c.fid))")
        }
    }

    func testNonMatrixAndIntegerArraysAreNamedErrors() {
        XCTAssertThrowsError(try FeatureStatistics(array: NDArray(float32: [1, 2, 3], shape: [3]), source: "x.npy")) { error in
            XCTAssertTrue("\(error)".contains("x.npy"), "\(error)")
        }
        XCTAssertThrowsError(try FeatureStatistics(array: NDArray(int32: [1, 2, 3, 4], shape: [2, 2]), source: "y.npy")) { error in
            XCTAssertTrue("\(error)".contains("int32"), "\(error)")
        }
    }
}
