import XCTest
@testable import Pipeline

final class TOMLParserTests: XCTestCase {
    func testParsesTheSubsetWithLineNumbers() throws {
        let text = """
        # a comment
        description = "smoke test" # trailing comment

        [stages.ingest]
        run = 'lzn-ingest'
        params = { size = 1_000, scale = 1.5e-3, flip = false, name = "a\\"b\\u00e9" }

        [stages.train.params]
        widths = [
          1, 2,  # comment inside an array
          3,
        ]
        "quoted key" = -4
        nested.deep = true
        """
        let root = try TOMLParser.parse(text)
        XCTAssertEqual(root.keys, ["description", "stages"])
        guard case .string(let d)? = root["description"]?.value else { return XCTFail("description") }
        XCTAssertEqual(d, "smoke test")
        guard case .table(let stages)? = root["stages"]?.value,
              case .table(let ingest)? = stages["ingest"]?.value,
              case .table(let params)? = ingest["params"]?.value else { return XCTFail("tables") }
        XCTAssertEqual(stages.keys, ["ingest", "train"])
        XCTAssertEqual(ingest["run"]?.line, 5)
        guard case .integer(1000)? = params["size"]?.value, case .float(let scale)? = params["scale"]?.value,
              case .bool(false)? = params["flip"]?.value, case .string(let name)? = params["name"]?.value else {
            return XCTFail("inline table values")
        }
        XCTAssertEqual(scale, 1.5e-3)
        XCTAssertEqual(name, "a\"bé")
        XCTAssertEqual(params["size"]?.line, 6)
        guard case .table(let train)? = stages["train"]?.value, case .table(let tp)? = train["params"]?.value,
              case .array(let widths)? = tp["widths"]?.value else { return XCTFail("train params") }
        XCTAssertEqual(widths.map(\.line), [10, 10, 11])
        guard case .integer(-4)? = tp["quoted key"]?.value, case .table(let nested)? = tp["nested"]?.value,
              case .bool(true)? = nested["deep"]?.value else { return XCTFail("quoted and dotted keys") }
        XCTAssertEqual(tp["nested"]?.line, 14)
    }

    func testErrorsNameTheirLine() {
        let cases: [(String, Int, String)] = [
            ("a = 1\na = 2", 2, "duplicate key 'a' (first defined on line 1)"),
            ("[t]\nx = 1\n[t]", 3, "table [t] is already defined (line 1)"),
            ("a = 1\n[a]", 2, "'a' is already a integer (line 1)"),
            ("[[t]]", 1, "arrays of tables ([[...]]) are not supported"),
            ("\n\nx = \"open", 3, "unterminated string"),
            ("x = 1 2", 1, "unexpected '2' after value (one key = value per line)"),
            ("x = hello", 1, "invalid value 'hello' (strings need quotes)"),
            ("x = trueish", 1, "invalid value (strings need quotes)"),
            ("x = 12abc", 1, "invalid value '12abc' (strings need quotes)"),
            ("x =", 1, "expected a value"),
            ("x = [1, 2", 1, "unterminated array"),
            ("x = { a = 1,\n b = 2 }", 1, "inline tables must be on one line"),
            ("x = { a = 1 }\nx.b = 2", 2, "key 'x' is already defined (line 1)"),
            ("x = \"\\q\"", 1, "unknown escape '\\q'"),
            ("x = \"\"\"multi\"\"\"", 1, "multi-line strings are not supported"),
            ("= 3", 1, "expected a key, found '='"),
            ("x 3", 1, "expected '=' after key 'x'"),
            ("x = 1979-05-27", 1, "invalid value '1979-05-27' (strings need quotes)"),
        ]
        for (text, line, message) in cases {
            XCTAssertThrowsError(try TOMLParser.parse(text), text) { error in
                guard case .toml(let errorLine, let errorMessage)? = error as? PipelineError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(errorLine, line, text)
                XCTAssertEqual(errorMessage, message, text)
            }
        }
    }
}
