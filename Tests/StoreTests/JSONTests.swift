import Foundation
import Store
import XCTest

final class JSONTests: XCTestCase {
    func testParsesEveryValueKindAndKeepsBoolsApartFromNumbers() throws {
        let value = try JSON(parsing: #"{"t": true, "f": false, "one": 1, "zero": 0, "x": 2.5, "s": "a/b", "n": null, "a": [1, "2"]}"#)
        XCTAssertEqual(value, ["t": true, "f": false, "one": 1, "zero": 0, "x": 2.5, "s": "a/b", "n": nil, "a": [1, "2"]])
        XCTAssertEqual(value["t"]?.boolValue, true)
        XCTAssertEqual(value["one"]?.intValue, 1)
        XCTAssertNil(value["one"]?.boolValue)
    }

    func testCanonicalTextSortsKeysAndWritesIntegersPlainly() {
        let value: JSON = ["b": 1, "a": [2.5, "x/y"], "c": ["z": true, "y": nil]]
        XCTAssertEqual(value.text, #"{"a":[2.5,"x/y"],"b":1,"c":{"y":null,"z":true}}"#)
    }

    func testCodableBridge() throws {
        struct Config: Codable, Equatable { var lr: Double; var preset: String; var steps: Int }
        let config = Config(lr: 0.001, preset: "s", steps: 20)
        let json = try JSON(encoding: config)
        XCTAssertEqual(json["preset"], "s")
        XCTAssertEqual(try json.decode(as: Config.self), config)
    }
}
